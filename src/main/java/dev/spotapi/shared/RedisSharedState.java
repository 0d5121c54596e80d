package dev.spotapi.shared;

import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link SharedState} in Redis (Lettuce), shared by every replica and surviving their restarts.
 * Records are hashes under {@code spot-api:idem:<key hash>} changed by Lua scripts (one round trip,
 * atomic); budgets are Bucket4j buckets under {@code spot-api:budget:...} (compare-and-swap), holds
 * are keys with a TTL under {@code spot-api:hold:...}, deleted-object records strings with a TTL under
 * {@code spot-api:deleted:...} (bounded by the TTL; each about 100 bytes).
 *
 * <p>When Redis cannot be reached, every command fails within {@code timeout} (commands are rejected
 * while disconnected, never queued): claims throw {@link SharedStateUnavailableException} (fail
 * closed: a keyed request is refused rather than risk running twice) and budgets fall back to a
 * per-replica local budget (fail open, bounded). The connection is made lazily and remade on demand.
 */
public final class RedisSharedState implements SharedState {
    private static final Logger LOG = LoggerFactory.getLogger(RedisSharedState.class);
    private static final String IDEM = "spot-api:idem:";
    private static final String BUDGET = "spot-api:budget:";
    private static final String HOLD = "spot-api:hold:";
    private static final String MARK = "spot-api:wmark:";
    private static final String LEASE = "spot-api:wlease:";
    private static final String LEASE_WAITERS = "spot-api:wlease-waiters:";
    /** How long a write mark is kept: far longer than any read can be in flight. */
    private static final long MARK_TTL_MS = 24L * 3600 * 1000;
    /**
     * Lua: this Redis server's incarnation, {@code <generation>@<run id>} (KEYS[2] the generation key), or false
     * without a generation. The run id is the server process's own (INFO server): a restart or a failover gives
     * another, even when the data came back from a snapshot with the same generation (attack round 13). Where INFO is
     * refused (a managed Redis that renamed it) the generation alone, as before.
     */
    private static final String INCARNATION_LUA = """
            local function incarnation()
              local g = redis.call('GET', KEYS[2])
              if not g then return false end
              local info = redis.pcall('INFO', 'server')
              if type(info) ~= 'string' then return g end
              return g .. '@' .. (string.match(info, 'run_id:(%w+)') or '')
            end
            """;
    /** The incarnation check scripts start with (KEYS[2] generation, the last ARGV the one known): -1. */
    private static final String SAME_GENERATION = INCARNATION_LUA + """
            if incarnation() ~= ARGV[#ARGV] then return -1 end
            """;
    /** KEYS[1] lease, KEYS[2] generation; ARGV owner, ms, generation: extends the lease only when {@code owner} holds it. */
    private static final String RENEW = SAME_GENERATION + """
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              return redis.call('PEXPIRE', KEYS[1], ARGV[2])
            end
            return 0
            """;
    /** KEYS[1] lease; ARGV owner: deletes the lease only when {@code owner} holds it. */
    private static final String RELEASE = """
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              return redis.call('DEL', KEYS[1])
            end
            return 0
            """;

    /**
     * KEYS[1] record, KEYS[2] generation, KEYS[3] recovering; ARGV fingerprint, now ms, lease-until ms, ttl ms, owner
     * (the new claim's token), the incarnation this replica knows. {@code LOST} when Redis's incarnation is another
     * (it lost its data, or restarted or failed over and may have lost its latest writes, since); {@code RECOVERING} (with the ms left) for a key without a record while the replicas
     * write back what they hold.
     */
    private static final String CLAIM = INCARNATION_LUA + """
            if incarnation() ~= ARGV[6] then return {'LOST'} end
            local r = redis.call('HMGET', KEYS[1], 'fp', 'state', 'lease', 'status', 'type', 'body', 'hd', 'owner')
            if not r[1] then
              local left = redis.call('PTTL', KEYS[3])
              if left > 0 then return {'RECOVERING', tostring(left)} end
              redis.call('HSET', KEYS[1], 'fp', ARGV[1], 'state', 'F', 'lease', ARGV[3], 'owner', ARGV[5])
              redis.call('PEXPIRE', KEYS[1], ARGV[4])
              return {'NEW'}
            end
            if r[1] ~= ARGV[1] then return {'MISMATCH'} end
            if r[2] == 'D' then return {'DONE', r[4], r[5], r[6], r[7] or ''} end
            if r[2] == 'F' and tonumber(r[3]) > tonumber(ARGV[2]) then return {'IN_FLIGHT', r[3]} end
            -- taken over: what it was is kept, for a claim whose answer never came to put back (LATE_RELEASE)
            redis.call('HSET', KEYS[1], 'pstate', r[2], 'plase', r[3] or '0', 'powner', r[8] or '',
                'state', 'F', 'lease', ARGV[3], 'owner', ARGV[5])
            redis.call('PEXPIRE', KEYS[1], ARGV[4])
            return {'RESUMED'}
            """;
    /**
     * KEYS[1] record; ARGV status, type, body (base64), ttl ms, owner, headers: only while {@code owner} holds the
     * key.
     */
    private static final String COMPLETE = SAME_GENERATION + """
            if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[5] then return 0 end
            redis.call('HSET', KEYS[1], 'state', 'D', 'status', ARGV[1], 'type', ARGV[2], 'body', ARGV[3], 'hd', ARGV[6])
            redis.call('PEXPIRE', KEYS[1], ARGV[4])
            return 1
            """;
    /**
     * KEYS[1] record; ARGV owner, generation: a claim whose answer never came, taken back: a record it made is deleted,
     * one it took over (an uncertain key, a lease that had run out) is put back as it was (attack round 18: the
     * release deleted an action's record in doubt, and the action ran again).
     */
    private static final String LATE_RELEASE = SAME_GENERATION + """
            if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
            local p = redis.call('HMGET', KEYS[1], 'pstate', 'plase', 'powner')
            if not p[1] then return redis.call('DEL', KEYS[1]) end
            redis.call('HSET', KEYS[1], 'state', p[1], 'lease', p[2], 'owner', p[3])
            redis.call('HDEL', KEYS[1], 'pstate', 'plase', 'powner')
            return 1
            """;
    /** KEYS[1] record; ARGV ttl ms, owner: only while {@code owner} holds the key. */
    private static final String UNCERTAIN = SAME_GENERATION + """
            if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[2] then return 0 end
            redis.call('HSET', KEYS[1], 'state', 'U')
            redis.call('PEXPIRE', KEYS[1], ARGV[1])
            return 1
            """;
    /** KEYS[1] record; ARGV owner: deletes the record only while {@code owner} holds the key. */
    private static final String FORGET = SAME_GENERATION + """
            if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
            return redis.call('DEL', KEYS[1])
            """;
    /** KEYS[1] record; ARGV owner, lease-until ms: extends the lease of {@code owner}'s claim still in flight. */
    private static final String RENEW_CLAIM = SAME_GENERATION + """
            local r = redis.call('HMGET', KEYS[1], 'owner', 'state')
            if r[1] ~= ARGV[1] or r[2] ~= 'F' then return 0 end
            redis.call('HSET', KEYS[1], 'lease', ARGV[2])
            return 1
            """;
    /**
     * KEYS[1] lease, KEYS[2] generation, KEYS[3] recovering, KEYS[4] the lease's waiters; ARGV owner, ms, generation
     * (Redis's own clock orders the waiters): 1 taken, 0 held by another, or another waiter came first (or the replicas are writing back what
     * they hold), -1 another generation. The waiters are served in the order they first asked (a sorted set by that
     * time; each stays while it asks again within 1 s, {@code <waiters>:<owner>}): a replica that releases the lease
     * and asks again at once no longer wins against another that has been asking every 200 ms (attack round 12: one
     * org's burst of deletes kept another org's replica out of the account's cost fence for its whole length).
     */
    private static final String TAKE_LEASE = SAME_GENERATION + """
            if redis.call('PTTL', KEYS[3]) > 0 then return 0 end
            local t = redis.call('TIME')
            redis.call('ZADD', KEYS[4], 'NX', t[1] * 1000 + math.floor(t[2] / 1000), ARGV[1])
            redis.call('PEXPIRE', KEYS[4], 60000)
            redis.call('SET', KEYS[4] .. ':' .. ARGV[1], '1', 'PX', 1000)
            while true do
              local head = redis.call('ZRANGE', KEYS[4], 0, 0)
              if #head == 0 or head[1] == ARGV[1] then break end
              if redis.call('EXISTS', KEYS[4] .. ':' .. head[1]) == 1 then return 0 end
              redis.call('ZREM', KEYS[4], head[1])
            end
            if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
              redis.call('ZREM', KEYS[4], ARGV[1])
              redis.call('DEL', KEYS[4] .. ':' .. ARGV[1])
              return 1
            end
            return 0
            """;
    /** KEYS[1] record; ARGV ttl ms, then field/value pairs: writes the record back only when it is missing. */
    private static final String RESTORE = """
            if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
            for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
            redis.call('PEXPIRE', KEYS[1], ARGV[1])
            return 1
            """;
    /** KEYS[1] unused, KEYS[2] generation: the incarnation ({@link #INCARNATION_LUA}), or nil. */
    private static final String READ_INCARNATION = INCARNATION_LUA + "return incarnation()";
    /** KEYS[1] a write mark, KEYS[2] generation: the mark ("" when none) and the incarnation it was read in. */
    private static final String READ_MARK = INCARNATION_LUA + "return (redis.call('GET', KEYS[1]) or '') .. ' '"
            + " .. (incarnation() or '')";
    /** KEYS[1] ledger; ARGV entry id, value, ttl ms: writes an entry back only when it is missing (1), else 0. */
    private static final String RESTORE_LEDGER_ENTRY = """
            if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
            if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
            return 1
            """;
    /** KEYS[1] hold; ARGV ms: only ever lengthens a hold. */
    private static final String HOLD_SCRIPT = """
            if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
              redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
            end
            return 1
            """;

    private final ClientResources resources;
    private final RedisClient client;
    private final EmbeddedSharedState fallback = new EmbeddedSharedState();
    private final AtomicLong lastWarning = new AtomicLong();
    /** Every command goes through it: a stuck Redis costs one timeout per trial, not one per call. */
    private final RedisBreaker breaker = new RedisBreaker("sharedState");
    private volatile Connections connections;
    private volatile boolean closed;
    /**
     * Redis's generation: a random id under this key, made by the first replica that finds none. A generation other
     * than the one a replica knows means that Redis lost its data since (a restart without persistence, a failover
     * to an empty replica, FLUSHALL): every script that relies on a record or lease checks it first.
     */
    private static final String GENERATION = "spot-api:generation";
    /** Set (with a TTL) by the replica that finds Redis lost its data: new claims and leases wait meanwhile. */
    private static final String RECOVERING = "spot-api:recovering";
    /** When Redis last lost its data (epoch ms), set by the replica that found it, kept {@link #LOSS_MEMORY}. */
    private static final String LOST_AT = "spot-api:lost-at";
    /** How long a loss is remembered: the cost ledger's retention (400 days), whose entries it took. */
    static final Duration LOSS_MEMORY = Duration.ofDays(400);
    /** How long new claims and write leases wait after a loss, while every replica writes back what it holds. */
    static final long RECOVERY_MS = 1_500;
    /** How often each replica looks at the generation (besides every claim and lease, which check it themselves). */
    static final long GENERATION_CHECK_MS = 250;
    /** The generation this replica knows; null before its first look. */
    private volatile String generation;
    private final Object recoveryLock = new Object();
    private final AtomicLong losses = new AtomicLong();
    /** This replica's claims in flight, by key: written back when Redis lost its data. */
    private final java.util.Map<String, Held> heldClaims = new java.util.concurrent.ConcurrentHashMap<>();
    /** This replica's latest answers (and doubts) of keys, bounded: written back when Redis lost its data. */
    private final com.github.benmanes.caffeine.cache.Cache<String, Held> kept = com.github.benmanes.caffeine.cache.Caffeine
            .newBuilder().maximumWeight(EmbeddedSharedState.MAX_BYTES / 2)
            .weigher((String k, Held h) -> 256 + (h.reply == null ? 0 : h.reply.body().length))
            .expireAfter(new com.github.benmanes.caffeine.cache.Expiry<String, Held>() {
                @Override
                public long expireAfterCreate(String k, Held h, long now) {
                    return TimeUnit.MILLISECONDS.toNanos(Math.max(0, h.expiresAtMillis - System.currentTimeMillis()));
                }

                @Override
                public long expireAfterUpdate(String k, Held h, long now, long current) {
                    return expireAfterCreate(k, h, now);
                }

                @Override
                public long expireAfterRead(String k, Held h, long now, long current) {
                    return current;
                }
            }).build();
    /** A cost-ledger entry as this replica wrote it: the ledger's key, the entry's id, its stored value, its expiry. */
    private record LedgerKept(String key, String entryId, String stored, long expiresAtMillis) {
    }

    /**
     * The cost-ledger entries this replica wrote in the last {@link #LEDGER_KEPT}, bounded (a thirty-second of the heap):
     * written back when Redis restarted from an older snapshot or lost its data; one found missing is a loss.
     */
    private final com.github.benmanes.caffeine.cache.Cache<String, LedgerKept> recentLedger =
            com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumWeight(EmbeddedSharedState.MAX_BYTES / 4)
                    .weigher((String k, LedgerKept e) -> 128 + k.length() + e.stored().length())
                    .expireAfterWrite(LEDGER_KEPT).build();
    /** How long {@link #recentLedger} keeps an entry: longer than Redis's snapshots are apart in usual set-ups. */
    static final Duration LEDGER_KEPT = Duration.ofHours(24);
    /**
     * Bumped by every recovery: part of every write mark read ({@link #writeMark}), so that no read started before
     * Redis restarted is shared with one asked after it (its marks may have gone back to older values).
     */
    private final AtomicLong readEpoch = new AtomicLong();
    /** This replica's write leases, object → owner and lease length: written back when Redis lost its data. */
    private final java.util.Map<String, String[]> heldLeases = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.ScheduledExecutorService generationCheck;

    /** A record as this replica last wrote it: state {@code F} (lease until), {@code D} (reply) or {@code U}. */
    private record Held(String fingerprint, char state, long leaseUntilMillis, StoredReply reply, String owner,
            long expiresAtMillis) {
    }

    /** This process's part of every write mark it sets: marks of two replicas never collide. */
    private final String replica = java.util.UUID.randomUUID().toString();
    private final AtomicLong marks = new AtomicLong();

    /** The two connections: strings for records and holds, byte values for Bucket4j. */
    private record Connections(StatefulRedisConnection<String, String> strings,
            StatefulRedisConnection<String, byte[]> bytes, ProxyManager<String> buckets) {
        void close() {
            strings.close();
            bytes.close();
        }
    }

    /**
     * @param url      {@code redis://host:port[/db]} or {@code rediss://...} (TLS)
     * @param password the password (from the environment), or null to use the URL's own, if any
     * @param timeout  bound on connecting and on every command
     */
    public RedisSharedState(String url, String password, Duration timeout) {
        this(url, null, password, timeout);
    }

    /** As above, authenticating as the Redis ACL user {@code username} (null: the {@code default} user). */
    public RedisSharedState(String url, String username, String password, Duration timeout) {
        RedisClients redis = RedisClients.create(url, username, password, timeout);
        this.resources = redis.resources();
        this.client = redis.client();
        this.generationCheck = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "shared-state-generation");
            t.setDaemon(true);
            return t;
        });
        generationCheck.scheduleWithFixedDelay(this::checkGeneration, GENERATION_CHECK_MS, GENERATION_CHECK_MS,
                TimeUnit.MILLISECONDS);
        try {
            breaker.call(this::connections);
        } catch (RuntimeException e) {
            LOG.atWarn().addKeyValue("component", "sharedState").addKeyValue("error", describe(e))
                    .log("Redis is not reachable yet; keyed requests answer 503 until it is (see /v1/spot/health)");
        }
    }

    private Connections connections() {
        Connections c = connections;
        if (c != null) {
            return c;
        }
        synchronized (this) {
            if (connections != null) {
                return connections;
            }
            if (closed) {
                throw new SharedStateUnavailableException("closed", null);
            }
            StatefulRedisConnection<String, String> strings = null;
            try {
                strings = client.connect();
                StatefulRedisConnection<String, byte[]> bytes = client.connect(
                        RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
                ProxyManager<String> buckets = Bucket4jLettuce.casBasedBuilder(bytes)
                        .expirationAfterWrite(ExpirationAfterWriteStrategy
                                .basedOnTimeForRefillingBucketUpToMax(Duration.ofSeconds(10)))
                        .build();
                connections = new Connections(strings, bytes, buckets);
                LOG.info("shared state: connected to Redis");
                if (generation == null) { // from the start: a loss later is then seen as one
                    String made = java.util.UUID.randomUUID().toString();
                    strings.sync().set(GENERATION, made, SetArgs.Builder.nx());
                    generation = incarnation(strings.sync());
                }
                return connections;
            } catch (RuntimeException e) {
                if (strings != null) {
                    strings.close();
                }
                throw new SharedStateUnavailableException("Redis is not reachable: " + describe(e), e);
            }
        }
    }

    private RedisCommands<String, String> redis() {
        return connections().strings().sync();
    }

    /** {@code command} through the breaker (fails at once while it is open). */
    private <T> T guarded(java.util.function.Function<RedisCommands<String, String>, T> command) {
        return breaker.call(() -> command.apply(redis()));
    }

    /** {@link #guarded}, any failure a {@link SharedStateUnavailableException} (for readers that must not guess). */
    private <T> T answered(java.util.function.Function<RedisCommands<String, String>, T> command) {
        try {
            return guarded(command);
        } catch (SharedStateUnavailableException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new SharedStateUnavailableException("Redis did not answer: " + describe(e), e);
        }
    }

    /** The breaker of this connection, for health and metrics. */
    public RedisBreaker breaker() {
        return breaker;
    }

    @Override
    public Claim claim(String key, String fingerprint, long leaseUntilMillis, Duration ttl) {
        String owner = java.util.UUID.randomUUID().toString();
        List<Object> r;
        try {
            r = claimOnce(key, fingerprint, leaseUntilMillis, ttl, owner);
            if ("LOST".equals(String.valueOf(r.get(0)))) {
                try {
                    recover();
                } catch (RuntimeException e) {
                    throw new SharedStateUnavailableException("Redis did not answer: " + describe(e), e);
                }
                r = claimOnce(key, fingerprint, leaseUntilMillis, ttl, owner);
            }
        } catch (SharedStateUnavailableException e) {
            releaseWhenAnswered(key, owner);
            throw e;
        }
        String first = String.valueOf(r.get(0));
        if (first.equals("LOST") || first.equals("RECOVERING")) {
            throw new SharedStateRecoveringException("the shared state (Redis) lost its data or restarted moments ago and the"
                    + " replicas are writing back the Idempotency-Key records they hold");
        }
        Outcome outcome = Outcome.valueOf(first);
        return switch (outcome) {
            case DONE -> new Claim(outcome, new StoredReply(Integer.parseInt(String.valueOf(r.get(1))),
                    String.valueOf(r.get(2)), Base64.getDecoder().decode(String.valueOf(r.get(3))),
                    r.size() > 4 ? String.valueOf(r.get(4)) : ""), 0, null);
            case IN_FLIGHT -> new Claim(outcome, null, Long.parseLong(String.valueOf(r.get(1))), null);
            case NEW, RESUMED -> {
                kept.invalidate(key);
                heldClaims.put(key, new Held(fingerprint, 'F', leaseUntilMillis, null, owner,
                        System.currentTimeMillis() + ttl.toMillis()));
                yield new Claim(outcome, null, 0, owner);
            }
            default -> Claim.of(outcome);
        };
    }

    private List<Object> claimOnce(String key, String fingerprint, long leaseUntilMillis, Duration ttl, String owner) {
        try {
            String known = knownGeneration();
            return guarded(redis -> redis.<List<Object>>eval(CLAIM, ScriptOutputType.MULTI, new String[] {IDEM + key,
                    GENERATION, RECOVERING}, fingerprint, Long.toString(System.currentTimeMillis()),
                    Long.toString(leaseUntilMillis), Long.toString(ttl.toMillis()), owner, known));
        } catch (SharedStateUnavailableException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new SharedStateUnavailableException("Redis did not answer: " + describe(e), e);
        }
    }

    @Override
    public void complete(String key, String owner, StoredReply reply, Duration ttl) {
        ended(key, owner, new Held(null, 'D', 0, reply, owner, System.currentTimeMillis() + ttl.toMillis()));
        inGeneration("store an idempotent answer", (redis, known) -> redis.eval(COMPLETE, ScriptOutputType.INTEGER,
                new String[] {IDEM + key, GENERATION}, Integer.toString(reply.status()),
                reply.contentType() == null ? "" : reply.contentType(),
                Base64.getEncoder().encodeToString(reply.body()), Long.toString(ttl.toMillis()), owner, reply.headers(),
                known));
    }

    @Override
    public void markUncertain(String key, String owner, Duration ttl) {
        ended(key, owner, new Held(null, 'U', 0, null, owner, System.currentTimeMillis() + ttl.toMillis()));
        inGeneration("mark an idempotency key uncertain", (redis, known) -> redis.eval(UNCERTAIN,
                ScriptOutputType.INTEGER, new String[] {IDEM + key, GENERATION}, Long.toString(ttl.toMillis()), owner,
                known));
    }

    /** How long a claim that timed out is still taken back ({@link #releaseWhenAnswered}), in ms. */
    private static final long LATE_CLAIM_RELEASE_MS = 120_000;

    /**
     * A claim whose answer did not come in time (its caller answered 503: not run) may still reach Redis and take the
     * key (attack round 17: a stalled Redis ran it when it resumed; the retry then waited for its lease and got a
     * doubtful 502 for good): it is taken back, by its owner only, once Redis answers, trying every 0.5 s for
     * {@link #LATE_CLAIM_RELEASE_MS}. Sent on the same connection after the claim, the release runs after it.
     */
    private void releaseWhenAnswered(String key, String owner) {
        long until = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(LATE_CLAIM_RELEASE_MS);
        Runnable attempt = new Runnable() {
            @Override
            public void run() {
                if (closed) {
                    return;
                }
                try {
                    String known = knownGeneration();
                    guarded(redis -> redis.eval(LATE_RELEASE, ScriptOutputType.INTEGER,
                            new String[] {IDEM + key, GENERATION}, owner, known));
                } catch (RuntimeException e) {
                    if (System.nanoTime() - until < 0) {
                        generationCheck.schedule(this, 500, java.util.concurrent.TimeUnit.MILLISECONDS);
                    }
                }
            }
        };
        generationCheck.schedule(attempt, 100, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    @Override
    public void release(String key, String owner) {
        ended(key, owner, null);
        inGeneration("release an idempotency key", (redis, known) -> redis.eval(FORGET, ScriptOutputType.INTEGER,
                new String[] {IDEM + key, GENERATION}, owner, known));
    }

    /** This replica's claim of {@code key} by {@code owner} ended: kept as {@code next} (null: forgotten). */
    private void ended(String key, String owner, Held next) {
        Held claim = heldClaims.get(key);
        if (claim == null || !claim.owner().equals(owner)) {
            return;
        }
        heldClaims.remove(key, claim);
        if (next == null) {
            kept.invalidate(key);
        } else {
            kept.put(key, new Held(claim.fingerprint(), next.state(), 0, next.reply(), owner, next.expiresAtMillis()));
        }
    }

    @Override
    public boolean renewClaim(String key, String owner, long leaseUntilMillis) {
        Long renewed;
        try {
            renewed = inGenerationOrThrow((redis, known) -> redis.<Long>eval(RENEW_CLAIM, ScriptOutputType.INTEGER,
                    new String[] {IDEM + key, GENERATION}, owner, Long.toString(leaseUntilMillis), known));
        } catch (SharedStateUnavailableException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new SharedStateUnavailableException("Redis did not answer: " + describe(e), e);
        }
        boolean ok = renewed != null && renewed == 1;
        if (ok) {
            heldClaims.computeIfPresent(key, (k, h) -> h.owner().equals(owner) ? new Held(h.fingerprint(), 'F',
                    leaseUntilMillis, null, owner, h.expiresAtMillis()) : h);
        }
        return ok;
    }

    /** A script that starts with {@link #SAME_GENERATION}: given the connection and the generation known. */
    @FunctionalInterface
    private interface GenerationScript {
        Long run(RedisCommands<String, String> redis, String known);
    }

    /** Runs {@code script}; when Redis lost its data since, writes back what this replica holds, then runs it again. */
    private Long inGenerationOrThrow(GenerationScript script) {
        Long r = guarded(redis -> script.run(redis, knownGeneration()));
        if (r != null && r == -1) {
            recover();
            r = guarded(redis -> script.run(redis, knownGeneration()));
        }
        return r;
    }

    /** {@link #inGenerationOrThrow}, a failure logged (see {@link #run}). */
    private void inGeneration(String what, GenerationScript script) {
        try {
            inGenerationOrThrow(script);
        } catch (RuntimeException e) {
            warn(what, e);
        }
    }

    /** The generation this replica knows, looked up (and made, for a new Redis) on first use. */
    private String knownGeneration() {
        String known = generation;
        if (known == null) {
            recover();
            known = generation;
        }
        return known == null ? "" : known;
    }

    /** Looks at Redis's generation; a change means Redis lost its data: {@link #recover}. Errors are left to the next look. */
    private void checkGeneration() {
        if (closed || connections == null) {
            return;
        }
        try {
            String current = guarded(RedisSharedState::incarnation);
            if (current == null || !current.equals(generation)) {
                recover();
            }
        } catch (RuntimeException e) {
            // Redis unreachable: the breaker and the commands' own errors say so
        }
    }

    /** Redis's incarnation, {@code <generation>@<run id>} ({@link #INCARNATION_LUA}), or null without a generation. */
    private static String incarnation(RedisCommands<String, String> redis) {
        return redis.eval(READ_INCARNATION, ScriptOutputType.VALUE, new String[] {"", GENERATION});
    }

    /** The generation part of an incarnation. */
    private static String generationOf(String incarnation) {
        int at = incarnation.lastIndexOf('@');
        return at < 0 ? incarnation : incarnation.substring(0, at);
    }

    /**
     * Redis's incarnation is not the one this replica knows (or it knows none yet): takes the current one (the
     * generation made when missing). When it knew another, Redis lost its data (another generation) or restarted or
     * failed over (another run id: it may be back from an older snapshot, or a replica that had not copied the latest
     * writes): new claims and leases wait {@link #RECOVERING} (one {@code SET NX PX} for all replicas) while this
     * replica writes back, only where nothing is there now, the records of its claims in flight, its latest answers
     * and doubts (bounded), its write leases, Spot's holds and the cost-ledger entries it recorded lately. A restart
     * that gave back less than this replica wrote (a write-back found something missing) is recorded as a loss
     * ({@link #lostDataAt}), as is another generation.
     */
    private void recover() {
        synchronized (recoveryLock) {
            String known = generation;
            String current = guarded(RedisSharedState::incarnation);
            if (current != null && current.equals(known)) {
                return;
            }
            if (current == null) {
                String made = java.util.UUID.randomUUID().toString();
                current = guarded(redis -> {
                    redis.set(GENERATION, made, SetArgs.Builder.nx());
                    return incarnation(redis);
                });
            }
            boolean dataLost = known != null && !generationOf(known).equals(generationOf(current));
            if (known != null) {
                guarded(redis -> redis.set(RECOVERING, replica, SetArgs.Builder.nx().px(RECOVERY_MS)));
                if (dataLost) {
                    recordLoss();
                    LOG.atError().addKeyValue("component", "sharedState").log("shared state: Redis lost its data (its"
                            + " generation changed: a restart without persistence, a failover to an empty replica or"
                            + " FLUSHALL); writing back this replica's {} claim(s) in flight, {} kept answer(s), {} write"
                            + " lease(s); new keyed requests and writes wait {} ms. Records only lost replicas held are"
                            + " gone: run Redis with persistence (appendonly)", heldClaims.size(), kept.estimatedSize(),
                            heldLeases.size(), RECOVERY_MS);
                } else {
                    LOG.atWarn().addKeyValue("component", "sharedState").log("shared state: Redis restarted or failed"
                            + " over (its run id changed); writing back what this replica holds in case it came back"
                            + " older; new keyed requests and writes wait {} ms", RECOVERY_MS);
                }
            }
            generation = current;
            if (known != null) {
                readEpoch.incrementAndGet();
                long missing = restore();
                if (!dataLost && missing > 0) {
                    recordLoss();
                    LOG.atError().addKeyValue("component", "sharedState").log("shared state: Redis came back without"
                            + " {} of this replica's latest records (an older snapshot, or a replica that had not"
                            + " copied them): written back; what other replicas wrote since that snapshot may be gone,"
                            + " deleted resources' costs are reported as possibly missing. Run Redis with appendfsync"
                            + " always to lose nothing", missing);
                }
            }
        }
    }

    /** Records that Redis lost data now ({@link #LOST_AT}, only ever later) and counts it. */
    private void recordLoss() {
        long at = System.currentTimeMillis();
        guarded(redis -> redis.eval("local t = tonumber(redis.call('GET', KEYS[1]) or '0')"
                + " if t < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end return 1",
                ScriptOutputType.INTEGER, new String[] {LOST_AT}, Long.toString(at),
                Long.toString(LOSS_MEMORY.toMillis())));
        losses.incrementAndGet();
    }

    /**
     * Writes back what this replica holds, pipelined (every command sent before any answer is awaited), the wait of
     * new claims and leases first lengthened to cover it (at least {@link #RECOVERY_MS}, plus 1 ms per 10 items).
     * Answers how many of them were missing (written back), as far as their answers tell.
     */
    private long restore() {
        long now = System.currentTimeMillis();
        long items = heldClaims.size() + kept.estimatedSize() + heldLeases.size() + recentLedger.estimatedSize();
        guarded(redis -> redis.eval(HOLD_SCRIPT, ScriptOutputType.INTEGER, new String[] {RECOVERING},
                Long.toString(RECOVERY_MS + items / 10)));
        io.lettuce.core.api.async.RedisAsyncCommands<String, String> async = connections().strings().async();
        List<io.lettuce.core.RedisFuture<?>> sent = new java.util.ArrayList<>();
        heldClaims.forEach((key, h) -> restoreRecord(async, sent, key, h, now));
        kept.asMap().forEach((key, h) -> restoreRecord(async, sent, key, h, now));
        int records = sent.size(); // records and ledger entries answer 1 when they were missing; leases and holds not counted
        heldLeases.forEach((object, held) -> sent.add(async.set(LEASE + object, held[0],
                SetArgs.Builder.nx().px(Long.parseLong(held[1])))));
        fallback.holdsLeft().forEach((bucket, left) -> sent.add(async.eval(HOLD_SCRIPT, ScriptOutputType.INTEGER,
                new String[] {HOLD + bucket}, Long.toString(Math.max(1, left.toMillis())))));
        List<io.lettuce.core.RedisFuture<?>> ledgerEntries = new java.util.ArrayList<>();
        recentLedger.asMap().forEach((entry, value) -> {
            long ttl = value.expiresAtMillis() - now;
            if (ttl > 0) {
                ledgerEntries.add(async.eval(RESTORE_LEDGER_ENTRY, ScriptOutputType.INTEGER, new String[] {value.key()},
                        value.entryId(), value.stored(), Long.toString(ttl)));
            }
        });
        List<io.lettuce.core.RedisFuture<?>> counted = new java.util.ArrayList<>(sent.subList(0, records));
        counted.addAll(ledgerEntries);
        sent.addAll(ledgerEntries);
        try {
            java.util.concurrent.CompletableFuture.allOf(sent.stream().map(f -> f.toCompletableFuture())
                    .toArray(java.util.concurrent.CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // counted below, each failed or unanswered one
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long failed = sent.stream().filter(f -> !f.isDone() || f.toCompletableFuture().isCompletedExceptionally()).count();
        if (failed > 0) {
            LOG.atError().addKeyValue("component", "sharedState").log("shared state: {} of {} write-back(s) failed"
                    + " after Redis lost its data", failed, sent.size());
        }
        return counted.stream().filter(f -> f.isDone() && !f.toCompletableFuture().isCompletedExceptionally())
                .map(f -> f.toCompletableFuture().getNow(null)).filter(Long.valueOf(1)::equals).count();
    }

    private static void restoreRecord(io.lettuce.core.api.async.RedisAsyncCommands<String, String> async,
            List<io.lettuce.core.RedisFuture<?>> sent, String key, Held h, long now) {
        long ttl = h.expiresAtMillis() - now;
        if (ttl <= 0 || h.fingerprint() == null) {
            return;
        }
        List<String> args = new java.util.ArrayList<>(List.of(Long.toString(ttl), "fp", h.fingerprint(), "state",
                String.valueOf(h.state()), "lease", Long.toString(h.leaseUntilMillis()), "owner", h.owner()));
        if (h.reply() != null) {
            args.addAll(List.of("status", Integer.toString(h.reply().status()), "type",
                    h.reply().contentType() == null ? "" : h.reply().contentType(), "body",
                    Base64.getEncoder().encodeToString(h.reply().body()), "hd", h.reply().headers()));
        }
        sent.add(async.eval(RESTORE, ScriptOutputType.INTEGER, new String[] {IDEM + key}, args.toArray(String[]::new)));
    }

    @Override
    public java.util.OptionalLong lostDataAt() {
        String at = answered(redis -> redis.get(LOST_AT));
        try {
            return at == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(Long.parseLong(at));
        } catch (NumberFormatException e) {
            return java.util.OptionalLong.of(System.currentTimeMillis()); // unreadable: as if just now
        }
    }

    /** Times this replica found that Redis had lost its data. */
    public long losses() {
        return losses.get();
    }

    /** Deleted-object records: strings with a TTL under this prefix (see {@link #recordDeleted}). */
    private static final String DELETED = "spot-api:deleted:";

    @Override
    public void recordDeleted(String object, long atMillis, Duration ttl) {
        run("record a deleted object", () -> redis().psetex(DELETED + object, Math.max(1, ttl.toMillis()),
                Long.toString(atMillis)));
    }

    @Override
    public java.util.OptionalLong deletedAt(String object) {
        try {
            String at = guarded(redis -> redis.get(DELETED + object));
            return at == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(Long.parseLong(at));
        } catch (RuntimeException e) {
            warn("read a deleted object", e);
            return java.util.OptionalLong.empty();
        }
    }

    /**
     * Ledgers: a hash per ledger under this prefix and a hash of its name; each field an entry id, each value
     * {@code <expiry epoch ms> <entry>}. The hash lives as long as its newest entry; expired entries are removed
     * by the next read.
     */
    private static final String LEDGER = "spot-api:ledger:";

    private static String ledgerKey(String ledger) {
        return LEDGER + Hashes.sha256Hex(ledger);
    }

    @Override
    public boolean putLedgerEntry(String ledger, String entryId, String entry, Duration ttl) {
        long ttlMs = Math.max(1, ttl.toMillis());
        String key = ledgerKey(ledger);
        long expiresAt = System.currentTimeMillis() + ttlMs;
        String stored = expiresAt + " " + entry;
        boolean written = run("record a ledger entry", () -> {
            RedisCommands<String, String> redis = redis();
            redis.hset(key, entryId, stored);
            Long left = redis.pttl(key);
            if (left == null || left < ttlMs) {
                redis.pexpire(key, ttlMs);
            }
        });
        if (written) {
            // only what Redis took: one it refused is the cost ledger's to write again (CostLedger keeps it), and
            // finding it missing after a restart would report a loss that never was (round 13's helper on the fixes)
            recentLedger.put(key + '\u0000' + entryId, new LedgerKept(key, entryId, stored, expiresAt));
        }
        return written;
    }

    @Override
    public List<String> ledgerEntries(String ledger) {
        String key = ledgerKey(ledger);
        java.util.Map<String, String> all = answered(redis -> redis.hgetall(key));
        long now = System.currentTimeMillis();
        List<String> out = new java.util.ArrayList<>();
        List<String> expired = new java.util.ArrayList<>();
        all.forEach((field, value) -> {
            int space = value.indexOf(' ');
            long until;
            try {
                until = Long.parseLong(value.substring(0, Math.max(0, space)));
            } catch (NumberFormatException e) {
                until = 0;
            }
            if (until > now) {
                out.add(value.substring(space + 1));
            } else {
                expired.add(field);
            }
        });
        if (!expired.isEmpty()) {
            run("remove expired ledger entries", () -> redis().hdel(key, expired.toArray(String[]::new)));
        }
        return out;
    }

    @Override
    public Duration tryTake(String bucket, String holdBucket, long perWindow, Duration window) {
        Duration heldHere = fallback.heldFor(holdBucket); // Spot's hold seen here outlives Redis losing its data
        if (!heldHere.isZero()) {
            return heldHere;
        }
        try {
            return breaker.call(() -> {
                Connections c = connections();
                Long held = c.strings().sync().pttl(HOLD + holdBucket);
                if (held != null && held > 0) {
                    return Duration.ofMillis(held);
                }
                if (perWindow <= 0) {
                    return Duration.ZERO;
                }
                BucketConfiguration config = BucketConfiguration.builder()
                        .addLimit(limit -> limit.capacity(perWindow).refillIntervally(perWindow, window))
                        .build();
                ConsumptionProbe probe = c.buckets().builder()
                        .build(BUDGET + bucket + ':' + perWindow + ':' + window.toMillis(), () -> config)
                        .tryConsumeAndReturnRemaining(1);
                return probe.isConsumed() ? Duration.ZERO : Duration.ofNanos(Math.max(1, probe.getNanosToWaitForRefill()));
            });
        } catch (RuntimeException e) {
            warn("rate budget", e);
            return fallback.tryTake(bucket, holdBucket, perWindow, window);
        }
    }

    @Override
    public void hold(String bucket, Duration duration) {
        fallback.hold(bucket, duration);
        run("hold a rate budget", () -> redis().eval(HOLD_SCRIPT, ScriptOutputType.INTEGER,
                new String[] {HOLD + bucket}, Long.toString(Math.max(1, duration.toMillis()))));
    }

    /**
     * One script (one round trip): the mark and the incarnation of Redis it was read in, with this replica's count of
     * recoveries: a Redis back from an older snapshot has older marks (attack round 13: a read started before an
     * acknowledged write was shared with one asked after it). A unique value when Redis cannot be reached, so that
     * nothing is shared then.
     */
    @Override
    public String writeMark(String scope) {
        try {
            String mark = guarded(redis -> redis.eval(READ_MARK, ScriptOutputType.VALUE, new String[] {MARK + scope,
                    GENERATION}));
            return readEpoch.get() + " " + mark;
        } catch (RuntimeException e) {
            warn("read a write mark", e);
            return "unreachable:" + replica + ':' + marks.incrementAndGet();
        }
    }

    /** One SET of a value never used before (this replica's id and a counter): survives no FLUSHALL, needs none. */
    @Override
    public void markWritten(String scope) {
        String mark = replica + ':' + marks.incrementAndGet();
        run("set a write mark", () -> redis().set(MARK + scope, mark, SetArgs.Builder.px(MARK_TTL_MS)));
    }

    /** One script (one round trip): {@code SET NX PX} unless Redis lost its data or the replicas are writing back. */
    @Override
    public boolean tryLease(String object, String owner, Duration lease) {
        String ms = Long.toString(Math.max(1, lease.toMillis()));
        try {
            Long r = inGenerationOrThrow((redis, known) -> redis.eval(TAKE_LEASE, ScriptOutputType.INTEGER,
                    new String[] {LEASE + object, GENERATION, RECOVERING, LEASE_WAITERS + object}, owner, ms, known));
            boolean taken = r != null && r == 1;
            if (taken) {
                heldLeases.put(object, new String[] {owner, ms});
            }
            return taken;
        } catch (RuntimeException e) {
            warn("take a write lease (writes are ordered per replica only until Redis is back)", e);
            return true;
        }
    }

    @Override
    public boolean renewLease(String object, String owner, Duration lease) {
        String ms = Long.toString(Math.max(1, lease.toMillis()));
        try {
            heldLeases.computeIfPresent(object, (k, held) -> held[0].equals(owner) ? new String[] {owner, ms} : held);
            Long r = inGenerationOrThrow((redis, known) -> redis.eval(RENEW, ScriptOutputType.INTEGER,
                    new String[] {LEASE + object, GENERATION}, owner, ms, known));
            return r != null && r == 1;
        } catch (RuntimeException e) {
            warn("renew a write lease", e);
            return false;
        }
    }

    @Override
    public boolean confirmLease(String object, String owner, Duration lease) {
        String[] held = heldLeases.get(object);
        if (held == null || !held[0].equals(owner)) {
            return true; // granted while Redis could not be reached (tryLease): ordered per replica only, as then
        }
        try {
            String ms = Long.toString(Math.max(1, lease.toMillis()));
            heldLeases.computeIfPresent(object, (k, h) -> h[0].equals(owner) ? new String[] {owner, ms} : h);
            Long r = inGenerationOrThrow((redis, known) -> redis.eval(RENEW, ScriptOutputType.INTEGER,
                    new String[] {LEASE + object, GENERATION}, owner, ms, known));
            return r != null && r == 1;
        } catch (RuntimeException e) {
            warn("confirm a write lease (writes are ordered per replica only until Redis is back)", e);
            return true;
        }
    }

    @Override
    public void releaseLease(String object, String owner) {
        heldLeases.computeIfPresent(object, (k, held) -> held[0].equals(owner) ? null : held);
        run("release a write lease", () -> redis().eval(RELEASE, ScriptOutputType.INTEGER,
                new String[] {LEASE + object}, owner));
    }

    @Override
    public boolean durable() {
        return true;
    }

    @Override
    public boolean reachable() {
        try {
            return "PONG".equals(guarded(RedisCommands::ping));
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public void close() {
        closed = true;
        generationCheck.shutdownNow();
        synchronized (this) {
            if (connections != null) {
                connections.close();
                connections = null;
            }
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
        fallback.close();
    }

    /** Runs {@code command} through the breaker; false (logged) when it failed. */
    private boolean run(String what, Runnable command) {
        try {
            breaker.call(() -> {
                command.run();
                return null;
            });
            return true;
        } catch (RuntimeException e) {
            warn(what, e);
            return false;
        }
    }

    /** At most one warning per 10 s: a Redis outage must not flood the log. */
    private void warn(String what, RuntimeException e) {
        long now = System.nanoTime();
        long last = lastWarning.get();
        if ((last == 0 || now - last > 10_000_000_000L) && lastWarning.compareAndSet(last, now)) {
            LOG.atWarn().addKeyValue("component", "sharedState").addKeyValue("operation", what)
                    .addKeyValue("error", describe(e))
                    .log("shared state: cannot {} in Redis; the rate budget, write fence and read sharing are per"
                            + " replica until Redis is back (logged at most every 10 s)", what);
        }
    }

    private static String describe(Throwable e) {
        return RedisBreaker.describe(e);
    }
}
