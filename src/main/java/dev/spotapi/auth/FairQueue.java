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
 * addresses are waiting at once.
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
        TreeSet<Entry<T>> mine = byClient.get(client);
        int mineSize = mine == null ? 0 : mine.size();
        T pushedOut = null;
        if (size >= capacity) {
            TreeSet<Entry<T>> longest = null;
            for (TreeSet<Entry<T>> q : byClient.values()) {
                if (longest == null || q.size() > longest.size()) {
                    longest = q;
                }
            }
            if (longest == null || longest == mine || longest.size() < mineSize + 2) {
                return new Offer<>(false, null);
            }
            pushedOut = longest.pollLast().item();
            size--;
        }
        if (mine == null) {
            mine = new TreeSet<>(CHEAPEST_OLDEST);
            byClient.put(client, mine);
        }
        mine.add(new Entry<>(seq++, cost, item));
        size++;
        return new Offer<>(true, pushedOut);
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
        size--;
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
        size = 0;
        return all;
    }

    private record Entry<T>(long seq, int cost, T item) {
    }
}
