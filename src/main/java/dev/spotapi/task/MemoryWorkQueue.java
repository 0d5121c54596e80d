package dev.spotapi.task;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/** Work items in this process: a FIFO of waiting ids, at most {@code maxQueue} items not done. */
public final class MemoryWorkQueue implements WorkQueue {
    private final ConcurrentLinkedQueue<String> waiting = new ConcurrentLinkedQueue<>();
    private final Set<String> open = ConcurrentHashMap.newKeySet();
    private final int maxQueue;

    /** @param maxQueue most items offered and not done */
    public MemoryWorkQueue(int maxQueue) {
        this.maxQueue = maxQueue;
    }

    @Override
    public synchronized void offer(String taskId) {
        if (open.size() >= maxQueue) {
            throw new TaskRefusedException("too many asynchronous tasks (" + maxQueue + ") are not finished", 5);
        }
        open.add(taskId);
        waiting.add(taskId);
    }

    @Override
    public List<Taken> take(int max) {
        List<Taken> out = new ArrayList<>();
        String id;
        while (out.size() < max && (id = waiting.poll()) != null) {
            out.add(new Taken(id, false));
        }
        return out;
    }

    @Override
    public boolean renew(String taskId) {
        return open.contains(taskId); // one process: nobody else could take it, only its end could
    }

    @Override
    public void done(String taskId) {
        open.remove(taskId);
    }

    @Override
    public long size() {
        return open.size();
    }

    @Override
    public void close() {
        waiting.clear();
    }
}
