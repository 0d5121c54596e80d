package dev.spotapi.support;

import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.ClassOrdererContext;
import org.junit.jupiter.api.ClassDescriptor;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * The order in which the suite hands its test classes to JUnit's parallel executor (pom.xml, surefire's
 * {@code junit.jupiter.testclass.order.default}): long classes first by their {@code @Order}, then the classes
 * with neither, then, last of all, the classes without an {@code @Order} that take a {@code @ResourceLock} (own
 * or inherited), those of {@link TestService#SHARED} at the very end.
 *
 * <p>Why the lock holders go last: JUnit's fork-join executor forks the classes in this order; the other
 * workers take them from the front, while the thread that forked them runs them from the back, one after the
 * other. The classes that hold one lock (the shared service's, 22 without @Order; the simulator tests', 18) thus
 * run one by one on that thread from the start of the suite, beside the long classes. In the middle of the
 * list, where the two ends meet at the end of the suite, workers that picked them blocked on the lock in turn
 * (one class running, up to three threads waiting) while the last long classes ran alone. A long lock holder
 * keeps its {@code @Order} (DocsPageBrowserTest: run first by the forking thread, Chromium beside the three
 * longest classes slowed those by 12-50 % in a measured run).
 *
 * <p>Without the executor's back-to-front walk the order still holds: long classes first, lock holders last.
 */
public final class SuiteClassOrder implements ClassOrderer {
    /** After every {@code @Order} (and {@link Order#DEFAULT}, that of the classes without one). */
    private static final int LOCK_HOLDER = Integer.MAX_VALUE - 1;
    private static final int SHARED_SERVICE = Integer.MAX_VALUE;

    @Override
    public void orderClasses(ClassOrdererContext context) {
        context.getClassDescriptors().sort(Comparator.comparingInt(SuiteClassOrder::rank)); // stable: ties keep their order
    }

    private static int rank(ClassDescriptor descriptor) {
        java.util.Optional<Order> order = descriptor.findAnnotation(Order.class);
        if (order.isPresent()) {
            return order.get().value();
        }
        List<ResourceLock> locks = descriptor.findRepeatableAnnotations(ResourceLock.class);
        if (locks.stream().anyMatch(l -> TestService.SHARED.equals(l.value()))) {
            return SHARED_SERVICE;
        }
        if (!locks.isEmpty()) {
            return LOCK_HOLDER;
        }
        return Order.DEFAULT;
    }
}
