package dev.spotapi.account;

import dev.spotapi.config.AccountConfig;
import dev.spotapi.spot.SpotClient;

/** A configured Spot account: its name in our URLs, its settings and its Spot client. */
public record Account(String name, AccountConfig config, SpotClient spot) {
}
