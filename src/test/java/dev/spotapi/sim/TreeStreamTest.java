package dev.spotapi.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class TreeStreamTest {

    @Test
    void givesExactlyTheBytesOfTheWholeSerialisationWhateverTheReadSize() throws IOException {
        JsonNode[] trees = {
                envelope(0), envelope(1), envelope(5_000),
                SimJson.parse("{}"), SimJson.parse("[]"), SimJson.parse("[[[[[1]]]],{\"a\":{\"b\":{\"c\":{\"d\":[]}}}}]"),
                SimJson.parse("\"only a string \\u00e9 \\ud83d\\ude00\""), SimJson.parse("12"), SimJson.parse("null"),
        };
        for (JsonNode tree : trees) {
            byte[] whole = SimJson.bytes(tree);
            for (int readSize : new int[] {1, 7, 4096, 32 * 1024, 1 << 20}) {
                assertThat(readAll(new TreeStream(tree), readSize)).as("read %d at a time", readSize).isEqualTo(whole);
            }
            assertThat(readByBytes(new TreeStream(tree))).isEqualTo(whole);
        }
    }

    @Test
    void aLongListIsSerialisedOnlyAsFarAsItIsRead() throws IOException {
        JsonNode tree = envelope(5_000);
        int whole = SimJson.bytes(tree).length;
        TreeStream stream = new TreeStream(tree);
        byte[] first = new byte[TreeStream.CHUNK];
        assertThat(stream.read(first, 0, first.length)).as("a read is filled").isEqualTo(TreeStream.CHUNK);
        assertThat(stream.available()).as("serialised ahead of the read (of %d bytes)", whole)
                .isLessThan(TreeStream.CHUNK + 8 * 1024);
        assertThat(stream.read(first, 0, 0)).isZero();
    }

    private static ObjectNode envelope(int items) {
        ObjectNode body = SimJson.object();
        body.putObject("request").put("id", "r-1").put("url", "/aws/ec2/managedInstance").put("method", "GET");
        ObjectNode response = body.putObject("response");
        response.putObject("status").put("code", 200).put("message", "OK");
        response.put("kind", "spotinst:managedInstance");
        ArrayNode array = response.putArray("items");
        for (int i = 0; i < items; i++) {
            ObjectNode item = array.addObject();
            item.put("id", "smi-" + i).put("name", "name \"" + i + "\" \u00e9").put("cost", new BigDecimal("1E-7"));
            item.putNull("gone");
            item.putArray("tags").addObject().put("tagKey", "spinup:org").put("tagValue", "org-" + (i % 3));
            item.putObject("compute").putObject("launchSpecification").putArray("types").add("t3.micro").add(2.5);
        }
        response.putArray("empty");
        response.put("count", items);
        return body;
    }

    private static byte[] readAll(InputStream in, int readSize) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[readSize];
        for (int n; (n = in.read(buffer, 0, readSize)) >= 0; ) {
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    private static byte[] readByBytes(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int b; (b = in.read()) >= 0; ) {
            out.write(b);
        }
        return out.toByteArray();
    }
}
