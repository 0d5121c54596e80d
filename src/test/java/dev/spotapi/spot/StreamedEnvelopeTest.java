package dev.spotapi.spot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotapi.json.ExactJson;
import dev.spotapi.org.Ownership;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * The streamed list read ({@link StreamedEnvelope} with {@link SpotResource#idsView}) against the whole-reply
 * read it replaces ({@link EnvelopeDecoder#decode}, then each item unwrapped, filtered by org and space, its
 * id kept): for every reply, cut at any byte and fed in any pieces, both give the same ids and request id, or
 * the same error.
 */
class StreamedEnvelopeTest {
    private static final ObjectMapper MAPPER = ExactJson.mapper();
    private static final SpotResource INSTANCES = new SpotResource("/aws/ec2/managedInstance", "managedInstance",
            "managed instance", true);
    private static final SpotResource GROUPS = new SpotResource("/aws/ec2/group", "group", "elastigroup");
    private static final String INSTANCE_KIND = "spotinst:aws:ec2:managedInstance";
    private static final String GROUP_KIND = "spotinst:aws:ec2:group";
    private static final String HEADER_ID = "hdr-request-id";

    /** What a list call ends in: ids and request id, or an error's every field. */
    record Outcome(List<String> ids, String requestId, String error) {
    }

    /** One filter of the old path and its streamed view. */
    record Filter(Ownership ownership, String space) {
        Predicate<JsonNode> listed() {
            return item -> ownership.listed(item, space);
        }
    }

    private static final List<Filter> FILTERS = List.of(new Filter(new Ownership("o1", true), null),
            new Filter(new Ownership("o1", true), "s1"), new Filter(new Ownership("o1", false), null),
            new Filter(new Ownership("o1", false), "7"), new Filter(new Ownership("o2", true), "1.50"));

    private static Outcome old(ObjectMapper mapper, SpotResource resource, Filter filter, byte[] body) {
        SpotCall call = SpotCall.get("list " + resource.noun() + "s", resource.basePath());
        try {
            SpotReply reply = new EnvelopeDecoder(mapper).decode(call, 200, body, null, HEADER_ID);
            List<String> ids = new ArrayList<>();
            for (JsonNode item : reply.items()) {
                JsonNode object = resource.object(item);
                if (filter.listed().test(object) && object.path("id").isTextual()) {
                    ids.add(object.path("id").asText());
                }
            }
            return new Outcome(ids, reply.spotRequestId(), null);
        } catch (SpotException e) {
            return failed(e);
        }
    }

    private static Outcome streamed(ObjectMapper mapper, SpotResource resource, Filter filter, List<ByteBuffer> parts) {
        SpotCall call = SpotCall.get("list " + resource.noun() + "s", resource.basePath());
        ListView view = resource.idsView(filter.ownership().listedKey(filter.space()), Ownership.LISTED_READS,
                filter.listed());
        StreamedEnvelope.Result result = StreamedEnvelope.read(mapper, view, parts);
        try {
            SpotReply reply = new EnvelopeDecoder(mapper).decodeStreamed(call, result, HEADER_ID);
            List<String> ids = new ArrayList<>();
            reply.items().forEach(id -> ids.add(id.asText()));
            return new Outcome(ids, reply.spotRequestId(), null);
        } catch (SpotException e) {
            return failed(e);
        }
    }

    private static Outcome failed(SpotException e) {
        return new Outcome(null, null, e.kind() + "|" + e.httpStatus() + "|" + e.code() + "|" + e.spotMessage() + "|"
                + e.spotRequestId() + "|" + e.retryAfter() + "|" + e.mayHaveActed() + "|" + e.operation());
    }

    private static List<ByteBuffer> pieces(byte[] body, Random random, int maxPiece) {
        List<ByteBuffer> parts = new ArrayList<>();
        for (int at = 0; at < body.length; ) {
            int n = Math.min(body.length - at, 1 + random.nextInt(maxPiece));
            // a direct buffer, read-only, like the ones the JDK's HTTP client hands on
            ByteBuffer b = ByteBuffer.allocateDirect(n).put(body, at, n).flip().asReadOnlyBuffer();
            parts.add(b);
            at += n;
        }
        return parts;
    }

    /** Old and streamed agree on {@code body} for every filter, read whole, byte by byte (short bodies) and in random pieces. */
    private static Outcome assertSame(ObjectMapper mapper, SpotResource resource, byte[] body, Random random) {
        return assertSame(mapper, resource, body, random, FILTERS);
    }

    private static Outcome assertSame(ObjectMapper mapper, SpotResource resource, byte[] body, Random random,
            List<Filter> filters) {
        Outcome first = null;
        for (Filter filter : filters) {
            Outcome expected = old(mapper, resource, filter, body);
            String what = filter + " on " + new String(body, 0, Math.min(body.length, 300), StandardCharsets.ISO_8859_1);
            assertThat(streamed(mapper, resource, filter, List.of(ByteBuffer.wrap(body)))).as(what).isEqualTo(expected);
            if (body.length <= 2048) {
                assertThat(streamed(mapper, resource, filter, pieces(body, random, 1))).as(what + " (byte by byte)")
                        .isEqualTo(expected);
            }
            assertThat(streamed(mapper, resource, filter, pieces(body, random, body.length <= 2048 ? 64 : 16384)))
                    .as(what + " (pieces)").isEqualTo(expected);
            first = first == null ? expected : first;
        }
        return first;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String envelope(String kind, String items) {
        return "{\"request\":{\"id\":\"req-1\",\"url\":\"/x\"},\"response\":{\"status\":{\"code\":200,\"message\":\"OK\"},"
                + "\"kind\":\"" + kind + "\",\"items\":" + items + ",\"count\":2}}";
    }

    private static String item(String id, String org, String space) {
        return "{\"id\":\"" + id + "\",\"name\":\"n\",\"compute\":{\"launchSpecification\":{\"tags\":["
                + "{\"tagKey\":\"Name\",\"tagValue\":\"x\"},{\"tagKey\":\"spinup:spaceid\",\"tagValue\":\"" + space + "\"},"
                + "{\"tagKey\":\"spinup:org\",\"tagValue\":\"" + org + "\"}]}}}";
    }

    @Test
    void theOrgTagAfterBigFieldsIsRead() {
        String big = "x".repeat(200_000);
        String item = "{\"id\":\"smi-big\",\"compute\":{\"launchSpecification\":{\"userData\":\"" + big
                + "\",\"blockDeviceMappings\":[{\"ebs\":{\"volumeSize\":1.50e3,\"nested\":[[[{\"a\":[1,2,{\"b\":null}]}]]]}}],"
                + "\"tags\":[{\"tagKey\":\"huge\",\"tagValue\":\"" + big + "\"},{\"tagKey\":\"spinup:org\",\"tagValue\":\"o1\"}]},"
                + "\"other\":\"" + big + "\"},\"after\":{\"more\":\"" + big + "\"}}";
        byte[] body = utf8(envelope(INSTANCE_KIND, "[" + item + "," + item("smi-2", "o2", "s1") + "]"));

        Outcome outcome = assertSame(MAPPER, INSTANCES, body, new Random(1));

        assertThat(outcome.ids()).containsExactly("smi-big");
        assertThat(outcome.requestId()).isEqualTo("req-1");
    }

    @Test
    void malformedJsonMidStreamIsTheSameBadReplyAsBefore() {
        String whole = envelope(INSTANCE_KIND, "[" + item("smi-1", "o1", "s1") + "," + item("smi-2", "o1", "s1") + "]");
        String cut = whole.substring(0, whole.indexOf("smi-2") + 3) + "}}]garbage";

        Outcome outcome = assertSame(MAPPER, INSTANCES, utf8(cut), new Random(2));

        // a list is a read: it never acted (attack round 10), whichever reader found the reply bad
        assertThat(outcome.error()).startsWith("BAD_REPLY|200|null|Spot sent a reply that is not a Spot envelope|"
                + HEADER_ID + "|null|false");
    }

    /** Every prefix of a reply (a reply cut anywhere, or cut and followed by junk): the same answer as before. */
    @Test
    void aReplyCutAtAnyByteAnswersAsBefore() {
        String whole = envelope(INSTANCE_KIND, "[" + item("smi-1", "o1", "s1") + ",{\"config\":"
                + item("smi-2", "o1", "s1") + ",\"id\":\"smi-2\"}, 12, \"s\", null, [1.5e3]]");
        Random random = new Random(3);
        List<Filter> filters = List.of(FILTERS.get(1), FILTERS.get(2));
        for (int at = 0; at <= whole.length(); at++) {
            assertSame(MAPPER, INSTANCES, utf8(whole.substring(0, at)), random, filters);
            assertSame(MAPPER, INSTANCES, utf8(whole.substring(0, at) + "]}x"), random, filters);
        }
    }

    @Test
    void envelopeShapesAnswerAsBefore() {
        String items = "[" + item("smi-1", "o1", "s1") + "]";
        List<String> bodies = List.of("", " ", "\n\t ", "[]", "\"text\"", "123", "null", "{}", "{\"request\":{}}",
                "<html>502</html>", "{\"message\":\"ok\"}",
                envelope(INSTANCE_KIND, items) + " trailing junk {[",
                envelope(INSTANCE_KIND, items) + "{\"second\":1}",
                "\ufeff" + envelope(INSTANCE_KIND, items),
                envelope("spotinst:aws:ec2:group", items),
                envelope(INSTANCE_KIND, "{\"not\":\"an array\"}"),
                envelope(INSTANCE_KIND, "\"items\""),
                envelope(INSTANCE_KIND, "null"),
                "{\"request\":{\"id\":7},\"response\":{\"status\":{\"code\":200.0},\"kind\":\"" + INSTANCE_KIND
                        + "\",\"items\":" + items + "}}",
                "{\"request\":{\"id\":null},\"response\":{\"status\":{\"code\":200},\"kind\":\"" + INSTANCE_KIND
                        + "\",\"items\":" + items + "}}",
                "{\"response\":{\"status\":{\"code\":200},\"kind\":\"" + INSTANCE_KIND + "\",\"items\":" + items
                        + "},\"request\":{\"id\":\"late\"}}",
                // repeated keys: the last one counts, as in a tree
                "{\"request\":{\"id\":\"a\"},\"response\":{\"status\":{\"code\":200},\"kind\":\"" + INSTANCE_KIND
                        + "\",\"items\":" + items + "},\"response\":{\"status\":{\"code\":200},\"kind\":\""
                        + INSTANCE_KIND + "\"}}",
                "{\"request\":{\"id\":\"a\"},\"response\":{\"items\":" + items + ",\"status\":{\"code\":200},\"kind\":\""
                        + INSTANCE_KIND + "\",\"items\":[" + item("smi-9", "o1", "s1") + "]}}",
                "{\"request\":{\"id\":\"a\"},\"response\":{\"items\":" + items + ",\"status\":{\"code\":200},\"kind\":\""
                        + INSTANCE_KIND + "\",\"items\":7}}",
                "{\"request\":{\"id\":\"a\"},\"response\":[{\"items\":" + items + "}]}",
                "{\"request\":{\"id\":\"a\"},\"response\":{\"status\":{\"code\":200},\"kind\":\"" + INSTANCE_KIND
                        + "\",\"nested\":{\"items\":" + items + "},\"items\":[]}}");
        Random random = new Random(4);
        for (String body : bodies) {
            assertSame(MAPPER, INSTANCES, utf8(body), random);
            assertSame(MAPPER, GROUPS, utf8(body.replace(INSTANCE_KIND, GROUP_KIND)), random);
        }
    }

    /** Replies the non-blocking parser cannot read (UTF-16, UTF-32) are read as a whole, as before. */
    @Test
    void otherEncodingsAnswerAsBefore() {
        String body = envelope(INSTANCE_KIND, "[" + item("smi-1", "o1", "s1") + "," + item("smi-2", "o1", "s2") + "]");
        Random random = new Random(5);
        for (String charset : List.of("UTF-16BE", "UTF-16LE", "UTF-16", "UTF-32BE", "UTF-32LE")) {
            Outcome outcome = assertSame(MAPPER, INSTANCES, body.getBytes(java.nio.charset.Charset.forName(charset)), random);
            assertThat(outcome.ids()).as(charset).containsExactly("smi-1", "smi-2");
        }
        assertSame(MAPPER, INSTANCES, new byte[] {'{'}, random);
        assertSame(MAPPER, INSTANCES, new byte[] {0}, random);
        assertSame(MAPPER, INSTANCES, new byte[] {(byte) 0xfe, (byte) 0xff}, random);
        assertSame(MAPPER, INSTANCES, new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf}, random);
        assertSame(MAPPER, INSTANCES, utf8(envelope(INSTANCE_KIND, "[{\"id\":\"\u00e9\u4e2d\ud83d\ude00\"}]")), random);
        byte[] invalidUtf8 = utf8(envelope(INSTANCE_KIND, "[{\"id\":\"smi-1\",\"name\":\"AB\"}]"));
        int at = new String(invalidUtf8, StandardCharsets.ISO_8859_1).indexOf("AB");
        invalidUtf8[at] = (byte) 0xc3;
        invalidUtf8[at + 1] = (byte) 0x28;
        assertSame(MAPPER, INSTANCES, invalidUtf8, random);
    }

    /** The parser's limits (nesting, string and number length) fail a streamed reply where they failed it before. */
    @Test
    void readLimitsAnswerAsBefore() {
        ObjectMapper strict = ExactJson.builder(JsonFactory.builder().streamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(6).maxStringLength(40).maxNumberLength(8).build()).build()).build();
        Random random = new Random(6);
        List<String> bodies = List.of(
                envelope(INSTANCE_KIND, "[" + item("smi-1", "o1", "s1") + "]"),
                envelope(INSTANCE_KIND, "[{\"id\":\"smi-1\",\"skipped\":[[[[[[[[1]]]]]]]]}]"),
                envelope(INSTANCE_KIND, "[{\"id\":\"smi-1\",\"skipped\":\"" + "y".repeat(60) + "\"}]"),
                envelope(INSTANCE_KIND, "[{\"id\":\"smi-1\",\"skipped\":123456789012}]"),
                envelope(INSTANCE_KIND, "[{\"id\":\"smi-1\",\"skipped\":1.23456789012}]"),
                envelope(INSTANCE_KIND, "[{\"id\":\"smi-1\",\"y" + "y".repeat(60) + "\":1}]"));
        for (String body : bodies) {
            for (SpotResource resource : List.of(INSTANCES, GROUPS)) {
                String kinded = resource == GROUPS ? body.replace(INSTANCE_KIND, GROUP_KIND) : body;
                assertSame(strict, resource, utf8(kinded), random);
                assertSame(MAPPER, resource, utf8(kinded), random);
            }
        }
    }

    /**
     * The string length limit is checked only once the reply is longer than the limit (no string can be longer
     * than the bytes it came in): strings of multi-byte characters around the limit, in skipped and kept fields,
     * before and after that point, in UTF-8 and UTF-16, fail or pass as before.
     */
    @Test
    void theStringLimitHoldsAtTheReplysLength() {
        int limit = 300;
        ObjectMapper strict = ExactJson.builder(JsonFactory.builder().streamReadConstraints(StreamReadConstraints.builder()
                .maxStringLength(limit).build()).build()).build();
        Random random = new Random(61);
        List<String> strings = List.of("y".repeat(limit), "y".repeat(limit + 1), "\\u00e9".repeat(limit + 1),
                "\\u00e9".repeat(limit), "\u00e9".repeat(limit), "\u00e9".repeat(limit + 1), "\u4e2d".repeat(limit + 1),
                "\ud83d\ude00".repeat(limit / 2), "\ud83d\ude00".repeat(limit / 2) + "y", "y".repeat(limit - 40));
        for (String x : strings) {
            List<String> bodies = List.of(
                    // first in the reply: the limit is passed while the string is read
                    "{\"skipped\":\"" + x + "\",\"request\":{\"id\":\"r\"},\"response\":{\"status\":{\"code\":200},"
                            + "\"kind\":\"" + INSTANCE_KIND + "\",\"items\":[" + item("smi-1", "o1", "s1") + "]}}",
                    envelope(INSTANCE_KIND, "[{\"id\":\"smi-1\",\"skipped\":\"" + x + "\"}]"),
                    envelope(INSTANCE_KIND, "[" + item("smi-1", "o1", "s1") + ",{\"id\":\"smi-2\",\"compute\":{"
                            + "\"launchSpecification\":{\"tags\":[{\"tagKey\":\"spinup:org\",\"tagValue\":\"o1\"},"
                            + "{\"tagKey\":\"kept\",\"tagValue\":\"" + x + "\"}]}}}]"),
                    envelope(INSTANCE_KIND, "[\"" + x + "\"]"),
                    "\"" + x + "\"");
            for (String body : bodies) {
                assertSame(strict, INSTANCES, utf8(body), random);
                assertSame(strict, INSTANCES, body.getBytes(StandardCharsets.UTF_16LE), random);
            }
        }
        byte[] tooLong = utf8(envelope(INSTANCE_KIND, "[{\"id\":\"smi-1\",\"skipped\":\"" + "\u00e9".repeat(limit + 1) + "\"}]"));
        assertThat(assertSame(strict, INSTANCES, tooLong, random).error()).startsWith("BAD_REPLY");
    }

    /** Parts that are slices of larger heap arrays (the parser reads the array in place): the same answers. */
    @Test
    void heapSlicesAnswerAsBefore() {
        Random random = new Random(62);
        String body = envelope(INSTANCE_KIND, "[" + item("smi-1", "o1", "s1") + ",{\"config\":" + item("smi-2", "o1", "s2")
                + ",\"id\":\"smi-2\"}," + item("smi-3", "o2", "s1") + "]");
        byte[] bytes = utf8(body);
        for (int round = 0; round < 50; round++) {
            List<ByteBuffer> parts = new ArrayList<>();
            for (int at = 0; at < bytes.length; ) {
                int n = Math.min(bytes.length - at, 1 + random.nextInt(40));
                int before = random.nextInt(5);
                byte[] room = new byte[before + n + random.nextInt(5)];
                Arrays.fill(room, (byte) '}');
                System.arraycopy(bytes, at, room, before, n);
                // a buffer over part of an array, or a slice of one (a non-zero array offset), read from a position
                parts.add(before == 0 || random.nextBoolean() ? ByteBuffer.wrap(room, before, n)
                        : ByteBuffer.wrap(room, before - 1, n + 1).slice().position(1));
                at += n;
            }
            for (Filter filter : FILTERS) {
                assertThat(streamed(MAPPER, INSTANCES, filter, parts.stream().map(ByteBuffer::duplicate).toList()))
                        .isEqualTo(old(MAPPER, INSTANCES, filter, bytes));
            }
        }
    }

    /**
     * Items read whole (a view of {@link ListView.Fields#all}): the trees the whole-reply read gives, field order
     * and repeated keys included (their objects hold {@link StreamedEnvelope.FewFields}, past its linear size too).
     */
    @Test
    void wholeItemsAreTheTreesOfBefore() throws Exception {
        ListView whole = ListView.of("whole", ListView.Fields.all(), item -> item);
        Random random = new Random(63);
        StringBuilder wide = new StringBuilder("{");
        for (int i = 0; i < 20; i++) {
            wide.append(i == 0 ? "" : ",").append("\"f").append(i % 13).append("\":").append(i);
        }
        wide.append('}');
        for (int round = 0; round < 100; round++) {
            StringBuilder items = new StringBuilder("[");
            int n = random.nextInt(8);
            for (int i = 0; i < n; i++) {
                items.append(i == 0 ? "" : ",").append(switch (random.nextInt(6)) {
                    case 0 -> wide;
                    case 1 -> shortStrings(random);
                    default -> randomItem(random, i);
                });
            }
            byte[] body = utf8(envelope(INSTANCE_KIND, items.append(']').toString()));
            JsonNode expected = MAPPER.readTree(body).path("response").path("items");
            JsonNode streamed = StreamedEnvelope.read(MAPPER, whole, pieces(body, random, 64)).envelope()
                    .path("response").path("items");
            assertThat(streamed).isEqualTo(expected);
            assertThat(expected).isEqualTo(streamed);
            assertThat(streamed.toString()).isEqualTo(expected.toString());
        }
    }

    /** An object of short strings from a small alphabet (equal ones, and unequal ones in one slot of the look-up). */
    private static String shortStrings(Random random) {
        StringBuilder o = new StringBuilder("{");
        int n = 1 + random.nextInt(12);
        for (int i = 0; i < n; i++) {
            StringBuilder v = new StringBuilder();
            int length = random.nextInt(4) == 0 ? 30 + random.nextInt(5) : random.nextInt(4);
            for (int c = 0; c < length; c++) {
                v.append(pick(random, "a", "b", "\\u00e9", "\\\"", "\u4e2d", "\ud83d\ude00"));
            }
            o.append(i == 0 ? "" : ",").append("\"s").append(i).append("\":\"").append(v).append('"');
        }
        return o.append('}').toString();
    }

    /** {@link StreamedEnvelope.FewFields} against a {@link LinkedHashMap} under random operations: the same map. */
    @Test
    void fewFieldsBehaveAsALinkedHashMap() {
        Random random = new Random(64);
        for (int round = 0; round < 300; round++) {
            Map<String, JsonNode> few = new StreamedEnvelope.FewFields();
            Map<String, JsonNode> expected = new java.util.LinkedHashMap<>();
            for (int op = 0; op < 40; op++) {
                String key = "k" + random.nextInt(round % 2 == 0 ? 5 : 12);
                JsonNode value = MAPPER.getNodeFactory().numberNode(random.nextInt(100));
                switch (random.nextInt(10)) {
                    case 0, 1, 2, 3 -> assertThat(few.put(key, value)).isEqualTo(expected.put(key, value));
                    case 4 -> assertThat(few.remove(key)).isEqualTo(expected.remove(key));
                    case 5 -> { // remove the i-th entry while iterating
                        int i = expected.isEmpty() ? 0 : random.nextInt(expected.size());
                        removeAt(few.entrySet().iterator(), i);
                        removeAt(expected.entrySet().iterator(), i);
                    }
                    case 6 -> {
                        if (!expected.isEmpty()) {
                            int i = random.nextInt(expected.size());
                            assertThat(nth(few, i).setValue(value)).isEqualTo(nth(expected, i).setValue(value));
                        }
                    }
                    case 7 -> {
                        if (random.nextInt(5) == 0) {
                            few.clear();
                            expected.clear();
                        }
                    }
                    default -> assertThat(few.containsKey(key)).isEqualTo(expected.containsKey(key));
                }
                assertThat(few).isEqualTo(expected);
                assertThat(expected).isEqualTo(few);
                assertThat(few.hashCode()).isEqualTo(expected.hashCode());
                assertThat(new ArrayList<>(few.entrySet())).isEqualTo(new ArrayList<>(expected.entrySet()));
                assertThat(few.get(key)).isEqualTo(expected.get(key));
                assertThat(few.size()).isEqualTo(expected.size());
            }
        }
    }

    private static void removeAt(java.util.Iterator<Map.Entry<String, JsonNode>> it, int i) {
        for (int at = 0; it.hasNext(); at++) {
            it.next();
            if (at == i) {
                it.remove();
                return;
            }
        }
    }

    private static Map.Entry<String, JsonNode> nth(Map<String, JsonNode> map, int i) {
        java.util.Iterator<Map.Entry<String, JsonNode>> it = map.entrySet().iterator();
        for (int at = 0; at < i; at++) {
            it.next();
        }
        return it.next();
    }

    /** Random replies with every shape an item's org, space, id and wrapper can take: the same ids as before. */
    @Test
    void randomRepliesAnswerAsBefore() {
        Random random = new Random(27);
        int listed = 0;
        for (int round = 0; round < 200; round++) {
            StringBuilder items = new StringBuilder("[");
            int n = random.nextInt(12);
            for (int i = 0; i < n; i++) {
                items.append(i == 0 ? "" : ",").append(randomItem(random, i));
            }
            items.append(']');
            SpotResource resource = random.nextBoolean() ? INSTANCES : GROUPS;
            String body = envelope(resource == INSTANCES ? INSTANCE_KIND : GROUP_KIND, items.toString());
            Outcome outcome = assertSame(MAPPER, resource, utf8(body), random);
            listed += outcome.ids() == null ? 0 : outcome.ids().size();
            if (round % 10 == 0) {
                int cut = random.nextInt(body.length());
                assertSame(MAPPER, resource, utf8(body.substring(0, cut)), random);
            }
        }
        assertThat(listed).as("the random items list some").isGreaterThan(30);
    }

    private static String pick(Random random, String... options) {
        return options[random.nextInt(options.length)];
    }

    private static String randomValue(Random random, int depth) {
        return switch (random.nextInt(depth > 2 ? 6 : 9)) {
            case 0 -> "\"" + pick(random, "o1", "o2", "s1", "7", "1.50", "", "x\\\"y", "\\u00e9") + "\"";
            case 1 -> pick(random, "7", "1.50", "-0", "1e2", "12345678901234567890", "0.1");
            case 2 -> pick(random, "true", "false", "null");
            case 3 -> "\"" + "z".repeat(random.nextInt(300)) + "\"";
            case 4 -> "\"o1\"";
            case 5 -> "\"s1\"";
            case 6 -> "[" + randomValue(random, depth + 1) + "," + randomValue(random, depth + 1) + "]";
            case 7 -> "{\"a\":" + randomValue(random, depth + 1) + ",\"tags\":" + randomTags(random, depth + 1) + "}";
            default -> "{\"compute\":" + randomValue(random, depth + 1) + "}";
        };
    }

    private static String randomTag(Random random, int depth) {
        List<String> fields = new ArrayList<>();
        if (random.nextInt(10) > 0) {
            fields.add("\"tagKey\":" + pick(random, "\"spinup:org\"", "\"spinup:org\"", "\"spinup:spaceid\"",
                    "\"Name\"", "7", "null", "{\"x\":1}", "\"other\""));
        }
        if (random.nextInt(10) > 0) {
            fields.add("\"tagValue\":" + pick(random, "\"o1\"", "\"o1\"", "\"o2\"", "\"s1\"", "7", "1.50", "null",
                    "true", "[\"o1\"]", "{\"v\":\"o1\"}"));
        }
        if (random.nextInt(8) == 0) {
            fields.add("\"tagKey\":\"spinup:org\""); // a repeated key
        }
        if (random.nextInt(8) == 0) {
            fields.add("\"filler\":" + randomValue(random, depth + 1));
        }
        java.util.Collections.shuffle(fields, random);
        return random.nextInt(15) == 0 ? randomValue(random, depth + 1) : "{" + String.join(",", fields) + "}";
    }

    private static String randomTags(Random random, int depth) {
        int n = random.nextInt(5);
        List<String> tags = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            tags.add(randomTag(random, depth));
        }
        return switch (random.nextInt(12)) {
            case 0 -> "{\"a\":" + randomTag(random, depth) + ",\"b\":" + randomTag(random, depth) + "}";
            case 1 -> randomValue(random, depth);
            default -> "[" + String.join(",", tags) + "]";
        };
    }

    private static String randomCompute(Random random, int depth) {
        List<String> spec = new ArrayList<>();
        spec.add("\"tags\":" + randomTags(random, depth + 1));
        if (random.nextInt(6) == 0) {
            spec.add("\"tags\":" + randomTags(random, depth + 1)); // a repeated key: the last one counts
        }
        spec.add("\"userData\":\"" + "u".repeat(random.nextInt(100)) + "\"");
        spec.add("\"instanceTypes\":" + randomValue(random, depth + 1));
        java.util.Collections.shuffle(spec, random);
        List<String> compute = new ArrayList<>();
        compute.add(random.nextInt(10) == 0 ? "\"launchSpecification\":" + randomValue(random, depth + 1)
                : "\"launchSpecification\":{" + String.join(",", spec) + "}");
        compute.add("\"subnetIds\":[\"subnet-1\"]");
        if (random.nextInt(8) == 0) {
            compute.add("\"launchSpecification\":{\"tags\":" + randomTags(random, depth + 1) + "}");
        }
        java.util.Collections.shuffle(compute, random);
        return random.nextInt(12) == 0 ? randomValue(random, depth) : "{" + String.join(",", compute) + "}";
    }

    private static String randomObject(Random random, int i, boolean inConfig) {
        List<String> fields = new ArrayList<>();
        if (random.nextInt(12) > 0) {
            fields.add("\"id\":" + (random.nextInt(10) > 0 ? "\"smi-" + i + (inConfig ? "c" : "") + "\""
                    : randomValue(random, 2)));
        }
        if (random.nextInt(10) > 0) {
            fields.add("\"compute\":" + randomCompute(random, 1));
        }
        if (!inConfig && random.nextInt(3) == 0) {
            fields.add("\"config\":" + (random.nextInt(8) == 0 ? randomValue(random, 2) : randomObject(random, i, true)));
        }
        if (random.nextInt(3) == 0) {
            fields.add("\"createdAt\":\"2026-01-01T00:00:00.000Z\"");
        }
        fields.add("\"name\":" + randomValue(random, 2));
        if (random.nextInt(10) == 0) {
            fields.add("\"id\":\"smi-dup" + i + "\"");
        }
        java.util.Collections.shuffle(fields, random);
        return "{" + String.join(",", fields) + "}";
    }

    private static String randomItem(Random random, int i) {
        return random.nextInt(25) == 0 ? randomValue(random, 1) : randomObject(random, i, false);
    }

    @Test
    void fieldsKeepWhatIsNamed() {
        ListView.Fields f = ListView.Fields.none().whole("id").and(Ownership.LISTED_READS).present("compute")
                .present("config").under("config", Ownership.LISTED_READS);
        assertThat(f.child("id").isWhole()).isTrue();
        assertThat(f.child("name")).isNull();
        assertThat(f.child("compute").child("launchSpecification").child("tags").isWhole()).isTrue();
        assertThat(f.child("compute").child("launchSpecification").child("userData")).isNull();
        assertThat(f.child("config").child("compute").child("launchSpecification").child("tags").isWhole()).isTrue();
        assertThat(f.child("config").child("id")).isNull();
        assertThat(Arrays.asList(f.toString())).isNotEmpty();
    }
}
