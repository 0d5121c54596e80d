package dev.spotapi.auth;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Waiting work of one verify lane, fair between clients by construction: one queue per client address,
 * served round-robin (one item per address in turn, so an address with 100 items waiting gets no more turns
 * than one with a single item), and within an address the cheapest item first (lowest bcrypt cost, then
 * oldest).
 *
 * <p>Bounded: at most {@code capacity} items in all, so at most {@code capacity} addresses are tracked (an
 * address with nothing waiting is forgotten). When full, a new item pushes out the newest, costliest item of
 * the longest queue if that queue is at least two longer than the newcomer's own (longest-queue drop: the
 * flooding address pays, a new address gets in); otherwise the new item is refused. So a new address is
 * refused only when every waiting address has at most one item waiting, i.e. {@code capacity} distinct
 * addresses are waiting at once; a newcomer of another network (address block) than the flood's, or one without a
 * wrong verdict lately, gets in even then (see {@link #offer(String, String, int, Object, boolean)}).
 *
 * <p>Not thread-safe: the caller holds a lock.
 *
 * @param <T> the work item
 */
final class FairQueue<T> {
    private static final Comparator<Entry<?>> CHEAPEST_OLDEST =
            Comparator.<Entry<?>>comparingInt(Entry::cost).thenComparingLong(Entry::seq);

    private final int capacity;
    /** Iteration order is the round-robin ring: the first address is served next, then moves to the end. */
    private final LinkedHashMap<String, TreeSet<Entry<T>>> byClient = new LinkedHashMap<>();
    /** Items waiting per network (address block) of their clients. */
    private final Map<String, Integer> byNetwork = new java.util.HashMap<>();
    private int size;
    private long seq;

    /** @param capacity items waiting at most, at least 1 */
    FairQueue(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
        }
        this.capacity = capacity;
    }

    /** What {@link #offer} did: admitted or not, and the item pushed out to make room (or null). */
    record Offer<T>(boolean admitted, T pushedOut) {
    }

    /**
     * Adds {@code item} of bcrypt cost {@code cost} for {@code client}; see the class comment for what happens
     * when full. A pushed-out item is returned, never served: the caller answers it.
     */
    Offer<T> offer(String client, int cost, T item) {
        return offer(client, client, cost, item, false);
    }

    /**
     * {@link #offer(String, int, Object)} for {@code client} of {@code network} (its address block,
     * {@link ClientAddress#network}); {@code clean}: the client has had no wrong verdict lately. When full, a new item
     * pushes out, in this order: the newest, costliest item of the longest queue of the network with the most items
     * waiting, if that network has at least two more than the newcomer's; else of the longest queue, if it is at least
     * two longer than the newcomer's own; else, for a clean newcomer, the newest item of the longest queue whose
     * client was not clean when it offered it; else the new item is refused. So a flood spread over more addresses than
     * the queue holds, one item each, still leaves room for a caller of another network (attack round 22: a thousand
     * addresses of four /24 networks, one made-up token each, kept every fresh valid token out with 503).
     */
    Offer<T> offer(String client, String network, int cost, T item, boolean clean) {
        TreeSet<Entry<T>> mine = byClient.get(client);
        int mineSize = mine == null ? 0 : mine.size();
        T pushedOut = null;
        if (size >= capacity) {
            Entry<T> victim = victim(mine, mineSize, network, clean);
            if (victim == null) {
                return new Offer<>(false, null);
            }
            remove(victim);
            pushedOut = victim.item();
        }
        if (mine == null) {
            mine = new TreeSet<>(CHEAPEST_OLDEST);
            byClient.put(client, mine);
        }
        mine.add(new Entry<>(seq++, cost, item, clean, client, network));
        byNetwork.merge(network, 1, Integer::sum);
        size++;
        return new Offer<>(true, pushedOut);
    }

    /** The item a newcomer pushes out of a full queue ({@link #offer(String, String, int, Object, boolean)}), or null. */
    private Entry<T> victim(TreeSet<Entry<T>> mine, int mineSize, String network, boolean clean) {
        String busiest = null;
        for (Map.Entry<String, Integer> n : byNetwork.entrySet()) {
            if (!n.getKey().equals(network) && (busiest == null || n.getValue() > byNetwork.get(busiest))) {
                busiest = n.getKey();
            }
        }
        if (busiest != null && byNetwork.get(busiest) >= byNetwork.getOrDefault(network, 0) + 2) {
            String flooding = busiest;
            return longest(q -> flooding.equals(q.first().network())).last();
        }
        TreeSet<Entry<T>> longest = longest(q -> true);
        if (longest != null && longest != mine && longest.size() >= mineSize + 2) {
            return longest.last();
        }
        if (!clean) {
            return null;
        }
        Entry<T> victim = null; // the newest unclean item of the longest queue holding one
        int victimQueue = 0;
        for (TreeSet<Entry<T>> q : byClient.values()) {
            if (q == mine || q.size() < victimQueue) {
                continue;
            }
            for (Entry<T> e : q) {
                if (!e.clean() && (victim == null || q.size() > victimQueue || e.seq() > victim.seq())) {
                    victim = e;
                    victimQueue = q.size();
                }
            }
        }
        return victim;
    }

    /** The longest queue {@code which} accepts (the first of equals in ring order), or null. */
    private TreeSet<Entry<T>> longest(java.util.function.Predicate<TreeSet<Entry<T>>> which) {
        TreeSet<Entry<T>> longest = null;
        for (TreeSet<Entry<T>> q : byClient.values()) {
            if ((longest == null || q.size() > longest.size()) && which.test(q)) {
                longest = q;
            }
        }
        return longest;
    }

    /** Takes {@code e} out (its client forgotten when nothing of it waits any more). */
    private void remove(Entry<T> e) {
        TreeSet<Entry<T>> q = byClient.get(e.client());
        q.remove(e);
        if (q.isEmpty()) {
            byClient.remove(e.client());
        }
        forget(e);
    }

    private void forget(Entry<T> e) {
        byNetwork.computeIfPresent(e.network(), (n, count) -> count == 1 ? null : count - 1);
        size--;
    }

    /** The next item in round-robin order, or null when nothing waits. */
    T poll() {
        Iterator<Map.Entry<String, TreeSet<Entry<T>>>> ring = byClient.entrySet().iterator();
        if (!ring.hasNext()) {
            return null;
        }
        Map.Entry<String, TreeSet<Entry<T>>> first = ring.next();
        String client = first.getKey();
        TreeSet<Entry<T>> queue = first.getValue();
        Entry<T> next = queue.pollFirst();
        forget(next);
        ring.remove();
        if (!queue.isEmpty()) {
            byClient.put(client, queue); // to the end of the ring
        }
        return next.item();
    }

    /** Items waiting. */
    int size() {
        return size;
    }

    /** Addresses with at least one item waiting. */
    int clients() {
        return byClient.size();
    }

    /** Removes and returns every waiting item. */
    List<T> drain() {
        List<T> all = new ArrayList<>(size);
        for (TreeSet<Entry<T>> q : byClient.values()) {
            for (Entry<T> e : q) {
                all.add(e.item());
            }
        }
        byClient.clear();
        byNetwork.clear();
        size = 0;
        return all;
    }

    private record Entry<T>(long seq, int cost, T item, boolean clean, String client, String network) {
    }
}
