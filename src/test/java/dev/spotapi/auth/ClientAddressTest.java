package dev.spotapi.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which clients share a budget and a verify queue. */
class ClientAddressTest {
    @Test
    void ipv4IsItsOwnKey() {
        assertThat(ClientAddress.key("127.0.0.2")).isEqualTo("127.0.0.2");
        assertThat(ClientAddress.key("::ffff:10.1.2.3")).as("IPv4-mapped").isEqualTo("10.1.2.3");
    }

    @Test
    void ipv6AddressesOfOneSlash64ShareAKey() {
        String a = ClientAddress.key("[2001:db8:1:2::1]");
        assertThat(a).isEqualTo("2001:db8:1:2::/64");
        assertThat(ClientAddress.key("2001:db8:1:2:ffff:ffff:ffff:ffff")).isEqualTo(a);
        assertThat(ClientAddress.key("2001:0db8:0001:0002:0:0:0:9%eth0")).isEqualTo(a);
        assertThat(ClientAddress.key("2001:db8:1:3::1")).isNotEqualTo(a);
        assertThat(ClientAddress.key("[0:0:0:0:0:0:0:1]")).isEqualTo("0:0:0:0::/64");
    }

    @Test
    void anythingElseIsKeptAndNothingIsResolved() {
        assertThat(ClientAddress.key(null)).isEqualTo("?");
        assertThat(ClientAddress.key("")).isEqualTo("?");
        assertThat(ClientAddress.key("not-an-address")).isEqualTo("not-an-address");
        assertThat(ClientAddress.key("ab:cd:zz")).isEqualTo("ab:cd:zz");
        assertThat(ClientAddress.key("12:34:56")).as("not a valid literal: kept, not looked up").isEqualTo("12:34:56");
    }

    /** The network a fair verify queue groups addresses by: an IPv4 /24, an IPv6 /48 (attack round 22). */
    @Test
    void theNetworkOfAKeyIsItsSlash24OrItsSlash48() {
        assertThat(ClientAddress.network(ClientAddress.key("10.1.2.3"))).isEqualTo("10.1.2.0/24");
        assertThat(ClientAddress.network(ClientAddress.key("::ffff:10.1.2.3"))).isEqualTo("10.1.2.0/24");
        assertThat(ClientAddress.network(ClientAddress.key("[2001:db8:1:2::5]"))).isEqualTo("2001:db8:1::/48");
        assertThat(ClientAddress.network(ClientAddress.key("2001:db8:1:3:ffff::1")))
                .isEqualTo(ClientAddress.network(ClientAddress.key("2001:db8:1:2::5")));
        assertThat(ClientAddress.network(ClientAddress.key(null))).isEqualTo("?");
        assertThat(ClientAddress.network(ClientAddress.key("some-name"))).isEqualTo("some-name");
    }
}
