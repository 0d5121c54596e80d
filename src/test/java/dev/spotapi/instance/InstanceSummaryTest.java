package dev.spotapi.instance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The old service's summary of a managed instance (seed-api.md "Managed instance summary"). */
class InstanceSummaryTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode instance(String createdAt, String updatedAt, String tags) {
        return json("""
                {"id": "smi-0a1b2c3d", "name": "mi-test", "region": "us-east-1",
                 "createdAt": %s, "updatedAt": %s,
                 "compute": {"vpcId": "vpc-1", "launchSpecification": {
                   "instanceTypes": {"preferredType": "t3a.micro", "types": ["t3a.micro", "t3.micro"]},
                   "tags": %s}}}""".formatted(createdAt, updatedAt, tags));
    }

    @Test
    void theContractsExample() {
        JsonNode mi = instance("\"2021-05-10T15:04:05.000Z\"", "\"2021-05-11T09:00:00.000Z\"",
                "[{\"tagKey\": \"CreatedBy\", \"tagValue\": \"me\"}, {\"tagKey\": \"spinup:org\", \"tagValue\": \"localdev\"}]");

        ObjectNode summary = InstanceSummary.of(mi, "");

        assertThat(summary).isEqualTo(json("""
                {"id": "smi-0a1b2c3d", "created_at": "2021/05/10 15:04:05", "modified_at": "2021/05/11 09:00:00",
                 "name": "mi-test", "type": "t3a.micro", "state": "",
                 "tags": [{"CreatedBy": "me"}, {"Name": "mi-test"}, {"spinup:org": "localdev"}]}"""));
    }

    @Test
    void keysComeInTheOldServicesOrder() {
        ObjectNode summary = InstanceSummary.of(instance("\"2021-05-10T15:04:05.000Z\"",
                "\"2021-05-11T09:00:00.000Z\"", "[]"), "ACTIVE");

        List<String> keys = new ArrayList<>();
        summary.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsExactly("id", "created_at", "modified_at", "name", "type", "state", "tags");
    }

    @Test
    void stateIsTheGivenSpotStatus() {
        JsonNode mi = instance("\"2021-05-10T15:04:05.000Z\"", "\"2021-05-11T09:00:00.000Z\"", "[]");

        assertThat(InstanceSummary.of(mi, "ACTIVE").path("state").asText()).isEqualTo("ACTIVE");
        assertThat(InstanceSummary.of(mi, "PAUSED").path("state").asText()).isEqualTo("PAUSED");
        assertThat(InstanceSummary.of(mi, null).path("state").asText()).isEqualTo("");
    }

    @Test
    void tagsKeepTheirOrderWithNameAndOrgLast() {
        JsonNode mi = instance("null", "null", """
                [{"tagKey": "spinup:org", "tagValue": "someone-else"},
                 {"tagKey": "Zeta", "tagValue": "z"},
                 {"tagKey": "Name", "tagValue": "a stale name"},
                 {"tagKey": "Alpha", "tagValue": "a"},
                 {"tagKey": "CreatedBy", "tagValue": "me"}]""");

        JsonNode tags = InstanceSummary.of(mi, "ACTIVE").path("tags");

        assertThat(tags).as("issue 12: the org entry is the instance's own tag").isEqualTo(json("""
                [{"Zeta": "z"}, {"Alpha": "a"}, {"CreatedBy": "me"}, {"Name": "mi-test"}, {"spinup:org": "someone-else"}]"""));
    }

    @Test
    void withoutTagsThereAreStillNameAndOrg() {
        JsonNode mi = json("{\"id\": \"smi-1\", \"name\": \"n\"}");

        JsonNode tags = InstanceSummary.of(mi, "").path("tags");

        assertThat(tags).as("untagged: the entry stays, empty").isEqualTo(json("[{\"Name\": \"n\"}, {\"spinup:org\": \"\"}]"));
    }

    @Test
    void aTagWithoutValueBecomesAnEmptyString() {
        JsonNode mi = instance("null", "null", "[{\"tagKey\": \"Flag\"}]");

        assertThat(InstanceSummary.of(mi, "").path("tags").path(0)).isEqualTo(json("{\"Flag\": \"\"}"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "2021-05-10T15:04:05.000Z, 2021/05/10 15:04:05",
            "2021-05-10T15:04:05Z, 2021/05/10 15:04:05",
            "2016-01-28T16:18:14.000+0000, 2016/01/28 16:18:14",
            "2016-01-28T16:18:14.000+00:00, 2016/01/28 16:18:14",
            "2021-05-10T17:04:05.000+0200, 2021/05/10 15:04:05",
            "2021-05-10T00:30:00.000+01:00, 2021/05/09 23:30:00",
            "2021-12-31T23:59:59.999Z, 2021/12/31 23:59:59",
    })
    void bothSpotDateFormsAreReadAndShownInUtc(String spot, String shown) {
        JsonNode mi = instance("\"" + spot + "\"", "\"" + spot + "\"", "[]");

        ObjectNode summary = InstanceSummary.of(mi, "");

        assertThat(summary.path("created_at").asText()).isEqualTo(shown);
        assertThat(summary.path("modified_at").asText()).isEqualTo(shown);
    }

    @Test
    void absentOrUnreadableDatesAreOmitted() {
        JsonNode mi = instance("null", "\"not a date\"", "[]");

        ObjectNode summary = InstanceSummary.of(mi, "");

        assertThat(summary.has("created_at")).isFalse();
        assertThat(summary.has("modified_at")).isFalse();
        assertThat(summary.path("id").asText()).isEqualTo("smi-0a1b2c3d");
    }

    @Test
    void typeIsOmittedWithoutAPreferredType() {
        JsonNode mi = json("""
                {"id": "smi-1", "name": "n", "compute": {"launchSpecification": {"instanceTypes": {"types": ["t3.micro"]}}}}""");

        assertThat(InstanceSummary.of(mi, "").has("type")).isFalse();
    }
}
