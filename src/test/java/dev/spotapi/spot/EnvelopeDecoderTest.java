package dev.spotapi.spot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotapi.spot.SpotException.Kind;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Turning Spot's replies (contract §2 and §6) into results and classified errors. */
class EnvelopeDecoderTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final SpotCall READ = SpotCall.get("get managed instance", "/aws/ec2/managedInstance/smi-1");
    private static final SpotCall DELETE = SpotCall.delete("delete managed instance", "/aws/ec2/managedInstance/smi-1",
            null);
    private static final String REQUEST = """
            "request": {"id": "9bad8ebc-a42c-425f-83ab-fbec3b1cbd8a", "url": "/aws/ec2/managedInstance/smi-1",
                        "method": "GET", "timestamp": "2021-05-18T14:03:00.120Z"}""";

    private final EnvelopeDecoder decoder = new EnvelopeDecoder(MAPPER);

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private SpotException failure(SpotCall call, int status, String body, String retryAfter) {
        SpotException e = catchThrowableOfType(SpotException.class,
                () -> decoder.decode(call, status, bytes(body), retryAfter, "hdr-request-id"));
        assertThat(e).as("a SpotException for HTTP %s %s", status, body).isNotNull();
        assertThat(e.httpStatus()).isEqualTo(status);
        assertThat(e.operation()).isEqualTo(call.operation());
        return e;
    }

    @Test
    void ok200WithItems() {
        SpotReply r = decoder.decode(READ, 200, bytes("{" + REQUEST + """
                , "response": {"status": {"code": 200, "message": "OK"}, "kind": "spotinst:aws:ec2:managedInstance",
                  "items": [{"id": "smi-1", "name": "a"}, {"id": "smi-2"}], "count": 2}}"""), null, null);

        assertThat(r.items()).hasSize(2);
        assertThat(r.firstItem()).isPresent();
        assertThat(r.firstItem().get().path("name").asText()).isEqualTo("a");
        assertThat(r.spotRequestId()).isEqualTo("9bad8ebc-a42c-425f-83ab-fbec3b1cbd8a");
    }

    @Test
    void ok200WithEmptyItemsIsAnEmptyReply() {
        SpotReply r = decoder.decode(READ, 200, bytes("""
                {"request": {}, "response": {"status": {"code": 200}, "kind": "spotinst:aws:ec2:managedInstance",
                 "items": [], "count": 0}}"""), null, "hdr-id");

        assertThat(r.items()).isEmpty();
        assertThat(r.spotRequestId()).as("falls back to the x-request-id header").isEqualTo("hdr-id");
    }

    /** Issue 10 item 6: only Spot's envelope is success; any other JSON object with 200 is a bad reply. */
    @Test
    void ok200WithJsonThatIsNotSpotsEnvelopeIsABadReply() {
        String[] notEnvelopes = {
            "{\"message\":\"ok\"}",
            "{}",
            "{\"status\":\"OK\",\"items\":[{\"id\":\"smi-1\"}]}",
            "{\"response\":{\"status\":{\"code\":200},\"kind\":\"spotinst:aws:ec2:managedInstance\",\"items\":[]}}",
            "{" + REQUEST + ", \"response\": \"ok\"}",
            "{" + REQUEST + ", \"response\": {\"items\": [], \"kind\": \"spotinst:aws:ec2:managedInstance\"}}",
            "{" + REQUEST + ", \"response\": {\"status\": {\"code\": 500}, \"items\": []}}",
            "{" + REQUEST + ", \"response\": {\"status\": {\"code\": \"200\"}, \"items\": []}}",
            "{" + REQUEST + ", \"response\": {\"status\": {\"code\": 200}}}",
            "{" + REQUEST + ", \"response\": {\"status\": {\"code\": 200}, \"items\": {}}}",
            "{" + REQUEST + ", \"response\": {\"status\": {\"code\": 200}, \"items\": []}}",
            "{" + REQUEST + ", \"response\": {\"status\": {\"code\": 200}, \"kind\": \"spotinst:aws:ec2:group\", \"items\": []}}",
            "{" + REQUEST + ", \"response\": {\"status\": {\"code\": 200}, \"kind\": 7, \"items\": []}}",
        };
        for (String body : notEnvelopes) {
            SpotException e = catchThrowableOfType(SpotException.class,
                    () -> decoder.decode(READ, 200, bytes(body), null, null));
            assertThat(e).as("a bad reply for %s", body).isNotNull();
            assertThat(e.kind()).as(body).isEqualTo(Kind.BAD_REPLY);
            assertThat(e.mayHaveActed()).as("a read never acted (attack round 10)").isFalse();
            SpotException write = catchThrowableOfType(SpotException.class,
                    () -> decoder.decode(DELETE, 200, bytes(body), null, null));
            assertThat(write == null || write.mayHaveActed()).as("a write answered %s may have acted", body).isTrue();
        }
        for (String body : new String[] {"{\"message\":\"ok\"}", "{\"response\":{\"status\":{\"code\":200}}}",
                "{" + REQUEST + ", \"response\": {\"status\": {\"code\": 204}}}"}) {
            SpotException e = catchThrowableOfType(SpotException.class,
                    () -> decoder.decode(DELETE, 200, bytes(body), null, null));
            assertThat(e).as("a delete answered %s did not happen", body).isNotNull();
            assertThat(e.kind()).isEqualTo(Kind.BAD_REPLY);
        }
    }

    @Test
    void theExpectedKindFollowsThePath() {
        assertThat(SpotKinds.expected("/aws/ec2/group")).contains(SpotKinds.GROUP);
        assertThat(SpotKinds.expected("/aws/ec2/group/sig-1")).contains(SpotKinds.GROUP);
        assertThat(SpotKinds.expected("/aws/ec2/group/sig-1/scale/up")).contains(SpotKinds.SCALE);
        assertThat(SpotKinds.expected("/aws/ec2/managedInstance")).contains(SpotKinds.MANAGED_INSTANCE);
        assertThat(SpotKinds.expected("/aws/ec2/managedInstance/smi-1/status")).contains(SpotKinds.MANAGED_INSTANCE_STATUS);
        assertThat(SpotKinds.expected("/aws/ec2/managedInstance/smi-1/costs")).contains(SpotKinds.MANAGED_INSTANCE_COSTS);
        assertThat(SpotKinds.expected("/aws/ec2/group/sig-1/status")).as("not evidenced").isEmpty();
        assertThat(SpotKinds.accepts("/aws/ec2/group/sig-1/status", "spotinst:aws:ec2:group")).isTrue();
        assertThat(SpotKinds.accepts("/aws/ec2/group/sig-1/status", "ok")).isFalse();
        assertThat(SpotKinds.accepts("/aws/ec2/group/sig-1", SpotKinds.MANAGED_INSTANCE)).isFalse();
        // a route name is not an id (contract §9.12; attack round 19)
        assertThat(SpotKinds.expected("/aws/ec2/managedInstance/state")).as("bulk state: not evidenced").isEmpty();
        assertThat(SpotKinds.expected("/aws/ec2/group/instance")).isEmpty();
        assertThat(SpotKinds.accepts("/aws/ec2/managedInstance/state", "spotinst:aws:ec2:managedInstance:state")).isTrue();
        assertThat(SpotKinds.expected("/aws/ec2/managedInstance/migration")).contains(SpotKinds.MIGRATION);
    }

    @Test
    void ok200WithAnEnvelopeWithoutItemsIsFineForADelete() {
        SpotReply r = decoder.decode(DELETE, 200, bytes("""
                {"request": {"id": "del-1"}, "response": {"status": {"code": 200, "message": "OK"}}}"""), null, null);

        assertThat(r.items()).isEmpty();
        assertThat(r.spotRequestId()).isEqualTo("del-1");
    }

    @Test
    void ok200WithAnEmptyBodyIsABadReplyEvenForADelete() {
        // a 200 without Spot's envelope is no proof the object was deleted (issue 4: honest answers)
        SpotException e = catchThrowableOfType(SpotException.class,
                () -> decoder.decode(DELETE, 200, new byte[0], null, null));

        assertThat(e).isNotNull();
        assertThat(e.kind()).isEqualTo(Kind.BAD_REPLY);
        assertThat(e.mayHaveActed()).isTrue();
    }

    @Test
    void ok200WithAnEmptyBodyIsABadReplyForARead() {
        SpotException e = catchThrowableOfType(SpotException.class,
                () -> decoder.decode(READ, 200, new byte[0], null, null));

        assertThat(e).isNotNull();
        assertThat(e.kind()).isEqualTo(Kind.BAD_REPLY);
    }

    @Test
    void ok200WithGarbageIsABadReplyForARead() {
        SpotException e = catchThrowableOfType(SpotException.class,
                () -> decoder.decode(READ, 200, bytes("<html>oops</html>"), null, null));

        assertThat(e).isNotNull();
        assertThat(e.kind()).isEqualTo(Kind.BAD_REPLY);
    }

    @Test
    void error400WithAValidationErrorIsRejectedWithSpotsMessage() {
        SpotException e = failure(READ, 400, "{" + REQUEST + """
                , "response": {"status": {"code": 400, "message": "Bad Request"},
                  "errors": [{"code": "ValidationError", "message": "\\"minimum\\" must be less than or equal to 0",
                              "field": "body:group.capacity.minimum"},
                             {"code": "Other", "message": "second"}]}}""", null);

        assertThat(e.kind()).isEqualTo(Kind.REJECTED);
        assertThat(e.code()).isEqualTo("ValidationError");
        assertThat(e.spotMessage()).isEqualTo("\"minimum\" must be less than or equal to 0");
        assertThat(e.spotRequestId()).isEqualTo("9bad8ebc-a42c-425f-83ab-fbec3b1cbd8a");
        assertThat(e.retryAfter()).isNull();
    }

    @Test
    void error400DoesntExistIsNotFound() {
        SpotException mi = failure(READ, 400, "{" + REQUEST + """
                , "response": {"status": {"code": 400, "message": "Bad Request"},
                  "errors": [{"code": "MANAGED_INSTANCE_DOESNT_EXIST", "message": "Managed instance 'smi-1' does not exist"}]}}""",
                null);
        SpotException group = failure(READ, 400, """
                {"response": {"status": {"code": 400}, "errors": [{"code": "GROUP_DOESNT_EXIST", "message": "Group: 'sig-1' does not exist"}]}}""",
                null);

        assertThat(mi.kind()).isEqualTo(Kind.NOT_FOUND);
        assertThat(mi.spotMessage()).isEqualTo("Managed instance 'smi-1' does not exist");
        assertThat(group.kind()).isEqualTo(Kind.NOT_FOUND);
    }

    @Test
    void error400WithoutErrorsIsRejectedWithTheStatus() {
        SpotException e = failure(READ, 400, "{" + REQUEST + """
                , "response": {"status": {"code": 400, "message": "Bad Request"}}}""", null);

        assertThat(e.kind()).isEqualTo(Kind.REJECTED);
        assertThat(e.code()).isNull();
        assertThat(e.spotMessage()).contains("400");
        assertThat(e.spotRequestId()).isEqualTo("9bad8ebc-a42c-425f-83ab-fbec3b1cbd8a");
    }

    @Test
    void anHtml502IsABadReply() {
        SpotException e = failure(READ, 502, """
                <!DOCTYPE html>
                <html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>""", null);

        assertThat(e.kind()).isEqualTo(Kind.BAD_REPLY);
        assertThat(e.spotMessage()).contains("502");
        assertThat(e.spotMessage()).doesNotContain("<html>");
        assertThat(e.spotRequestId()).isEqualTo("hdr-request-id");
    }

    @Test
    void a500WithAnEnvelopeIsABadReplyThatMayHaveActed() {
        SpotException e = failure(SpotCall.post("create managed instance", "/aws/ec2/managedInstance", null), 500, """
                {"response": {"status": {"code": 500}, "errors": [{"code": "INTERNAL_ERROR", "message": "boom"}]}}""",
                null);

        assertThat(e.kind()).isEqualTo(Kind.BAD_REPLY);
        assertThat(e.mayHaveActed()).isTrue();
    }

    @Test
    void a401IsTheAccountsCredentialsBeingRefused() {
        SpotException withErrors = failure(READ, 401, """
                {"response": {"status": {"code": 401, "message": "Unauthorized"},
                  "errors": [{"code": "UNAUTHORIZED", "message": "Invalid token for account act-1"}]}}""", null);
        SpotException bare = failure(READ, 401, "", null);
        SpotException forbidden = failure(READ, 403, "{\"response\": {\"status\": {\"code\": 403}}}", null);

        assertThat(withErrors.kind()).isEqualTo(Kind.AUTH_REJECTED);
        assertThat(bare.kind()).isEqualTo(Kind.AUTH_REJECTED);
        assertThat(forbidden.kind()).isEqualTo(Kind.AUTH_REJECTED);
    }

    @Test
    void a429IsRateLimitedWithRetryAfter() {
        SpotException e = failure(READ, 429, """
                {"response": {"status": {"code": 429}, "errors": [{"code": "RATE_LIMIT", "message": "slow down"}]}}""",
                "7");

        assertThat(e.kind()).isEqualTo(Kind.RATE_LIMITED);
        assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(7));
        assertThat(e.mayHaveActed()).isFalse();
    }

    @Test
    void a429WithoutBodyOrHeaderIsStillRateLimited() {
        SpotException e = failure(READ, 429, "", null);

        assertThat(e.kind()).isEqualTo(Kind.RATE_LIMITED);
        assertThat(e.retryAfter()).isNull();
    }

    @Test
    void retryAfterIsReadAsSecondsOrAnHttpDate() {
        assertThat(EnvelopeDecoder.retryAfter("3")).isEqualTo(Duration.ofSeconds(3));
        assertThat(EnvelopeDecoder.retryAfter(" 0 ")).isEqualTo(Duration.ZERO);
        assertThat(EnvelopeDecoder.retryAfter(null)).isNull();
        assertThat(EnvelopeDecoder.retryAfter("")).isNull();
        assertThat(EnvelopeDecoder.retryAfter("-5")).isNull();
        assertThat(EnvelopeDecoder.retryAfter("soon")).isNull();
        assertThat(EnvelopeDecoder.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT")).as("a past date").isEqualTo(Duration.ZERO);
        assertThat(EnvelopeDecoder.retryAfter("999999999")).as("capped").isLessThanOrEqualTo(Duration.ofHours(1));
    }

    /** Contract §9.8 (issue 11 item 4): an error with only {@code response.error} and {@code error_id}. */
    @Test
    void anErrorStringWithoutErrorsArrayIsSurfaced() {
        SpotException e = failure(READ, 400, "{" + REQUEST + """
                , "response": {"status": {"code": 400, "message": "Bad Request"},
                  "error": "Group name is too long", "error_id": "ERR-7a1b"}}""", null);

        assertThat(e.kind()).isEqualTo(Kind.REJECTED);
        assertThat(e.spotMessage()).isEqualTo("Group name is too long (error_id ERR-7a1b)");
    }

    @Test
    void anErrorStringWithoutIdOrStatusIsSurfacedToo() {
        SpotException e = failure(READ, 400, """
                {"response": {"error": "Unsupported instance type"}}""", null);

        assertThat(e.spotMessage()).isEqualTo("Unsupported instance type");
    }

    @Test
    void theErrorsArrayStillWinsOverTheErrorString() {
        SpotException e = failure(READ, 400, """
                {"response": {"errors": [{"code": "ValidationError", "message": "bad field"}],
                  "error": "other text", "error_id": "E1"}}""", null);

        assertThat(e.spotMessage()).isEqualTo("bad field");
    }

    /**
     * Spot's {@code Retry-After} in either form (RFC 9110 §10.2.3) is a wait of 0 to 3,600 s (attack round 16: a date a
     * century ahead held a route for a century, one past 2262 overflowed into a 502); a date passed is zero.
     */
    @Test
    void retryAfterInEitherFormIsBoundedToAnHour() {
        java.time.format.DateTimeFormatter http = java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME;
        java.time.ZonedDateTime now = java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC);
        assertThat(EnvelopeDecoder.retryAfter("30")).isEqualTo(Duration.ofSeconds(30));
        assertThat(EnvelopeDecoder.retryAfter("0")).isEqualTo(Duration.ZERO);
        assertThat(EnvelopeDecoder.retryAfter("86400")).isEqualTo(Duration.ofHours(1));
        assertThat(EnvelopeDecoder.retryAfter(now.plusDays(1).format(http))).isEqualTo(Duration.ofHours(1));
        assertThat(EnvelopeDecoder.retryAfter(now.plusYears(100).format(http))).isEqualTo(Duration.ofHours(1));
        assertThat(EnvelopeDecoder.retryAfter("Fri, 31 Dec 9999 23:59:59 GMT")).isEqualTo(Duration.ofHours(1));
        assertThat(EnvelopeDecoder.retryAfter(now.minusSeconds(5).format(http))).isEqualTo(Duration.ZERO);
        assertThat(EnvelopeDecoder.retryAfter(now.plusSeconds(100).format(http)).toSeconds()).isBetween(98L, 100L);
        assertThat(EnvelopeDecoder.retryAfter("-1")).isNull();
        assertThat(EnvelopeDecoder.retryAfter("soon")).isNull();
        assertThat(EnvelopeDecoder.retryAfter(null)).isNull();
    }

    /** Spot's error text passed on and logged is at most 1,024 characters, and says how long it was. */
    @Test
    void spotsErrorTextIsClipped() {
        String longText = "x".repeat(4_000_000);
        SpotException e = failure(SpotCall.get("read thing", "/x"), 400,
                "{\"response\":{\"errors\":[{\"code\":\"BAD\",\"message\":\"" + longText + "\"}]}}", null);
        assertThat(e.getMessage().length()).isLessThan(1_200);
        assertThat(e.getMessage()).contains("(4000000 characters)");
    }
}
