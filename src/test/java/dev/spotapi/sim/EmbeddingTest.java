package dev.spotapi.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spotapi.cli.SimulatorCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class EmbeddingTest {

    @Test
    void builderWithAccountsServesThemInOrder() {
        try (SpotSimulator sim = SpotSimulator.builder().bind("127.0.0.1").port(0)
                .account("act-2222bbbb", "t2").account("act-1111aaaa", "t1").account("act-3333cccc", "t3").start()) {
            assertThat(sim.port()).isPositive();
            assertThat(sim.baseUrl()).isEqualTo("http://127.0.0.1:" + sim.port());
            assertThat(List.copyOf(sim.accounts().keySet())).containsExactly("act-2222bbbb", "act-1111aaaa", "act-3333cccc");
            assertThat(sim.accounts()).containsEntry("act-1111aaaa", "t1");
            assertThat(new SimClient(sim.baseUrl(), "act-3333cccc", "t3").get("/aws/ec2/group").status()).isEqualTo(200);
        }
    }

    @Test
    void withoutAccountsOneDefaultAccountIsGenerated() {
        try (SpotSimulator sim = SpotSimulator.builder().port(0).start()) {
            assertThat(sim.accounts()).hasSize(1);
            Map.Entry<String, String> account = sim.accounts().entrySet().iterator().next();
            assertThat(account.getKey()).matches("act-[0-9a-f]{8}");
            assertThat(account.getValue()).hasSizeGreaterThanOrEqualTo(16);
            assertThat(new SimClient(sim.baseUrl(), account.getKey(), account.getValue()).get("/aws/ec2/group").status())
                    .isEqualTo(200);
        }
    }

    @Test
    void closeStopsTheServerAndIsIdempotent() {
        SpotSimulator sim = SpotSimulator.builder().port(0).start();
        String base = sim.baseUrl();
        sim.close();
        sim.close();
        assertThatThrownBy(() -> new SimClient(base, "act-1", "x").admin("GET", "/_sim/health", null))
                .isInstanceOf(java.io.UncheckedIOException.class);
    }

    @Test
    void startsQuicklyOnceWarm() {
        SpotSimulator.builder().port(0).start().close();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            long started = System.nanoTime();
            SpotSimulator sim = SpotSimulator.builder().port(0).start();
            best = Math.min(best, (System.nanoTime() - started) / 1_000_000);
            sim.close();
        }
        assertThat(best).as("start-up ms").isLessThan(300);
    }

    @Test
    void builderRejectsBadAccountsAndPorts() {
        assertThatThrownBy(() -> SpotSimulator.builder().account("1234abcd", "t")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SpotSimulator.builder().account("act-1234abcd", "")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SpotSimulator.builder().account("act-1", "a").account("act-1", "b"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SpotSimulator.builder().port(70000)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aPortInUseFailsToStart() {
        try (SpotSimulator sim = SpotSimulator.builder().port(0).start()) {
            assertThatThrownBy(() -> SpotSimulator.builder().port(sim.port()).start()).isInstanceOf(RuntimeException.class);
        }
    }

    @Test
    void cliReportsAPortInUse() {
        try (SpotSimulator sim = SpotSimulator.builder().port(0).start()) {
            StringWriter err = new StringWriter();
            CommandLine cl = new CommandLine(new SimulatorCommand());
            cl.setErr(new PrintWriter(err, true));
            assertThat(cl.execute("--port", Integer.toString(sim.port()))).isEqualTo(1);
            assertThat(err.toString()).contains("Cannot start the simulator");
        }
    }

    @Test
    void cliRejectsABadAccountWithAClearMessage() {
        for (String bad : new String[] {"act-1234abcd", "=token", "act-1234abcd=", "nope=token"}) {
            StringWriter err = new StringWriter();
            CommandLine cl = new CommandLine(new SimulatorCommand());
            cl.setErr(new PrintWriter(err));
            int exit = cl.execute("--port", "0", "--account", bad);
            assertThat(exit).as(bad).isNotZero();
            assertThat(err.toString()).as(bad).contains("Invalid option");
        }
    }
}
