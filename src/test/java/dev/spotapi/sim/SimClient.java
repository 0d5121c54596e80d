package dev.spotapi.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A black-box HTTP client for the simulator: Spot calls carry the account's token and accountId. */
final class SimClient {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private final String baseUrl;
    private final String accountId;
    private final String token;

    SimClient(String baseUrl, String accountId, String token) {
        this.baseUrl = baseUrl;
        this.accountId = accountId;
        this.token = token;
    }

    SimClient as(String otherAccount, String otherToken) {
        return new SimClient(baseUrl, otherAccount, otherToken);
    }

    String accountId() {
        return accountId;
    }

    Reply get(String path) {
        return spot("GET", path, null);
    }

    Reply post(String path, String body) {
        return spot("POST", path, body);
    }

    Reply put(String path, String body) {
        return spot("PUT", path, body);
    }

    Reply delete(String path, String body) {
        return spot("DELETE", path, body);
    }

    /** A Spot API call as the SDKs make it: bearer token, accountId query parameter, JSON headers. */
    Reply spot(String method, String path, String body) {
        String sep = path.contains("?") ? "&" : "?";
        return send(HttpRequest.newBuilder(URI.create(baseUrl + path + sep + "accountId=" + accountId))
                .header("Authorization", "Bearer " + token), method, body);
    }

    /** A request without any auth, e.g. to the admin API. */
    Reply raw(String method, String path, String body) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + path)), method, body);
    }

    Reply admin(String method, String path, String body) {
        return raw(method, path, body);
    }

    static Reply send(HttpRequest.Builder request, String method, String body) {
        try {
            return new Reply(HTTP.send(request
                    .header("Content-Type", "application/json")
                    .header("Accept", "application/json")
                    .timeout(Duration.ofSeconds(20))
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body))
                    .build(), HttpResponse.BodyHandlers.ofString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** One HTTP reply with JSON helpers. */
    record Reply(HttpResponse<String> response) {
        int status() {
            return response.statusCode();
        }

        String body() {
            return response.body();
        }

        String header(String name) {
            return response.headers().firstValue(name).orElse(null);
        }

        JsonNode json() {
            try {
                return JSON.readTree(response.body());
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + response.body(), e);
            }
        }

        JsonNode items() {
            return json().path("response").path("items");
        }

        /** items[0] of a data reply. */
        JsonNode item() {
            return items().get(0);
        }

        JsonNode error() {
            return json().path("response").path("errors").get(0);
        }

        String errorCode() {
            JsonNode error = error();
            return error == null ? null : error.path("code").asText();
        }

        @Override
        public String toString() {
            return response.statusCode() + " " + response.body();
        }
    }
}
