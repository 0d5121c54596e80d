package dev.spotapi.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The fair scheduler's choices, without threads: round-robin between addresses, cheapest first, bounds. */
class FairQueueTest {
    @Test
    void addressesAreServedInTurnWhateverTheirBacklog() {
        FairQueue<String> q = new FairQueue<>(100);
        for (int i = 0; i < 10; i++) {
            q.offer("flooder", 12, "f" + i);
        }
        q.offer("other", 12, "o0");
        q.offer("newcomer", 12, "n0");
        q.offer("other", 12, "o1");

        assertThat(List.of(q.poll(), q.poll(), q.poll(), q.poll(), q.poll(), q.poll()))
                .containsExactly("f0", "o0", "n0", "f1", "o1", "f2");
        assertThat(q.size()).isEqualTo(7);
        assertThat(q.clients()).isEqualTo(1);
    }

    @Test
    void withinAnAddressTheCheapestHashGoesFirstThenTheOldest() {
        FairQueue<String> q = new FairQueue<>(100);
        q.offer("proxy", 14, "a14");
        q.offer("proxy", 12, "b12");
        q.offer("proxy", 14, "c14");
        q.offer("proxy", 10, "d10");

        assertThat(List.of(q.poll(), q.poll(), q.poll(), q.poll())).containsExactly("d10", "b12", "a14", "c14");
        assertThat(q.poll()).isNull();
    }

    @Test
    void whenFullANewAddressPushesOutTheNewestCostliestOfTheLongestQueue() {
        FairQueue<String> q = new FairQueue<>(4);
        q.offer("flooder", 12, "f0");
        q.offer("flooder", 14, "f1");
        q.offer("flooder", 12, "f2");
        q.offer("other", 12, "o0");

        FairQueue.Offer<String> offer = q.offer("newcomer", 10, "n0");

        assertThat(offer.admitted()).isTrue();
        assertThat(offer.pushedOut()).isEqualTo("f1");
        assertThat(q.size()).isEqualTo(4);
        assertThat(drainInOrder(q)).containsExactly("f0", "o0", "n0", "f2");
    }

    @Test
    void whenFullTheLongestQueuesOwnerIsRefusedAndSoIsAnyoneWhenQueuesAreEven() {
        FairQueue<String> q = new FairQueue<>(3);
        q.offer("flooder", 12, "f0");
        q.offer("flooder", 12, "f1");
        q.offer("other", 12, "o0");

        assertThat(q.offer("flooder", 12, "f2").admitted()).as("its own queue is the longest").isFalse();
        assertThat(q.offer("other", 12, "o1").admitted()).as("the longest is not two longer than its own").isFalse();
        FairQueue.Offer<String> newcomer = q.offer("newcomer", 12, "n0");
        assertThat(newcomer.admitted()).isTrue();
        assertThat(newcomer.pushedOut()).isEqualTo("f1");

        // three addresses with one each: a fourth address cannot push anyone out
        assertThat(q.offer("fourth", 4, "x").admitted()).isFalse();
        assertThat(q.size()).isEqualTo(3);
    }

    @Test
    void memoryIsBoundedWhateverTheNumberOfAddresses() {
        FairQueue<Integer> q = new FairQueue<>(16);
        int admitted = 0;
        int pushedOut = 0;
        for (int i = 0; i < 10_000; i++) {
            FairQueue.Offer<Integer> offer = q.offer("client-" + (i % 1_000), 12 + i % 3, i);
            admitted += offer.admitted() ? 1 : 0;
            pushedOut += offer.pushedOut() != null ? 1 : 0;
            assertThat(q.size()).isLessThanOrEqualTo(16);
            assertThat(q.clients()).isLessThanOrEqualTo(16);
        }
        assertThat(admitted - pushedOut).isEqualTo(q.size());
        assertThat(q.drain()).hasSize(16);
        assertThat(q.size()).isZero();
        assertThat(q.poll()).isNull();
    }

    private static List<String> drainInOrder(FairQueue<String> q) {
        List<String> out = new ArrayList<>();
        for (String s = q.poll(); s != null; s = q.poll()) {
            out.add(s);
        }
        return out;
    }

    /**
     * Attack round 22: a flood spread one item each over more addresses than the queue holds, all of one network; a
     * newcomer of another network pushes out the newest costliest item of that network's longest queue.
     */
    @Test
    void whenFullOfOneItemPerAddressANewcomerOfAnotherNetworkPushesOutAnItemOfTheBusiestNetwork() {
        FairQueue<String> q = new FairQueue<>(4);
        for (int i = 1; i <= 4; i++) {
            q.offer("10.0.2." + i, "10.0.2.0/24", 10, "f" + i, true);
        }
        assertThat(q.offer("10.0.2.9", "10.0.2.0/24", 10, "f9", true).admitted())
                .as("one more of the flooding network, every address with one item: refused").isFalse();

        FairQueue.Offer<String> offer = q.offer("192.168.1.7", "192.168.1.0/24", 10, "n0", true);

        assertThat(offer.admitted()).isTrue();
        assertThat(offer.pushedOut()).isEqualTo("f1"); // the longest queues tie: the first in ring order
        assertThat(q.size()).isEqualTo(4);
        assertThat(q.clients()).isEqualTo(4);
        assertThat(drainInOrder(q)).containsExactly("f2", "f3", "f4", "n0");
    }

    /**
     * Attack round 22: addresses of many networks, each with one item from a client that has had a wrong verdict; a
     * clean newcomer (no wrong verdict lately) pushes out the newest of those, an unclean one is refused.
     */
    @Test
    void whenFullOfSpreadItemsACleanNewcomerPushesOutTheNewestItemOfAClientWithAWrongVerdict() {
        FairQueue<String> q = new FairQueue<>(3);
        q.offer("10.0.1.1", "10.0.1.0/24", 10, "a", false);
        q.offer("10.0.2.1", "10.0.2.0/24", 10, "b", true);
        q.offer("10.0.3.1", "10.0.3.0/24", 10, "c", false);

        assertThat(q.offer("10.0.4.1", "10.0.4.0/24", 10, "u", false).admitted()).as("unclean newcomer").isFalse();
        FairQueue.Offer<String> offer = q.offer("10.0.5.1", "10.0.5.0/24", 10, "n", true);

        assertThat(offer.admitted()).isTrue();
        assertThat(offer.pushedOut()).isEqualTo("c");
        assertThat(drainInOrder(q)).containsExactly("a", "b", "n");
    }
}
