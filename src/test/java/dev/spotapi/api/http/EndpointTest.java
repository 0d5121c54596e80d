package dev.spotapi.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Route templates match request paths by the rules Javalin's router applied (its default settings): one
 * segment per parameter, never empty, literal segments case-sensitive on the raw path, one trailing slash
 * ignored; parameter values percent-decoded with {@code +} kept. Checked case by case and against the regular
 * expression Javalin built for each template ({@code [^/]+?} per parameter, {@code /?} at the end).
 */
class EndpointTest {
    private static final Handler NOTHING = ctx -> { };

    private static Endpoint route(String template) {
        return new Endpoint(Method.GET, template, false, NOTHING);
    }

    /** The regular expression Javalin 7 built for a template without wildcards (PathParser, default config). */
    private static Pattern javalinRegex(String template) {
        String t = template.endsWith("/") && template.length() > 1 ? template.substring(0, template.length() - 1)
                : template;
        StringBuilder re = new StringBuilder("^");
        for (String segment : t.substring(1).split("/", -1)) {
            re.append('/');
            re.append(segment.startsWith("{") ? "[^/]+?" : Pattern.quote(segment));
        }
        return Pattern.compile(re.append("/?$").toString());
    }

    @Test
    void matchesTheSamePathsAsJavalinsRegularExpression() {
        List<String> templates = List.of("/v1/spot/ping", "/v1/spot/{account}/instances",
                "/v1/spot/{account}/instances/{instance}", "/v1/spot/{account}/{resource}/tags", "/v1/spot/");
        List<String> paths = List.of("/v1/spot/ping", "/v1/spot/ping/", "/v1/spot/ping//", "/v1/spot/Ping",
                "/v1/spot/pingx", "/v1/spot", "/v1/spot/", "/v1/spot//", "/v1/spot/a/instances", "/v1/spot/a/instances/",
                "/v1/spot//instances", "/v1/spot/a/instances/smi-1", "/v1/spot/a/instances/smi-1/", "/v1/spot/a/instances//",
                "/v1/spot/a/instances/smi-1/x", "/v1/spot/a%2Fb/instances", "/v1/spot/a/sig-1/tags", "/v1/spot/a/b/c/tags",
                "/v1/spot/a;x=1/instances", "/", "", "v1/spot/ping", "/v1/spot/a/instances/%20", "/v1//spot/ping");
        for (String template : templates) {
            Endpoint e = route(template);
            Pattern javalin = javalinRegex(template);
            for (String path : paths) {
                assertThat(e.matches(path)).as("%s against %s", template, path)
                        .isEqualTo(javalin.matcher(path).matches());
                if (e.matches(path)) {
                    assertThat(Endpoint.segmentCount(path)).as("the router's index of %s", path).isEqualTo(e.segments());
                }
            }
        }
    }

    @Test
    void theRouterFindsTheFirstMatchingRouteInTheOrderAdded() {
        Router router = new Router();
        Endpoint tags = router.add(Method.GET, "/v1/spot/{account}/instances/{instance}/tags", false, NOTHING);
        Endpoint any = router.add(Method.GET, "/v1/spot/{account}/{resource}/{x}/tags", false, NOTHING);
        Endpoint summary = router.add(Method.GET, "/v1/spot/{account}/instances/{instance}", false, NOTHING);
        Endpoint list = router.add(Method.GET, "/v1/spot/{account}/instances", false, NOTHING);
        router.add(Method.POST, "/v1/spot/{account}/instances", false, NOTHING);
        assertThat(router.find(Method.GET, "/v1/spot/a/instances/smi-1/tags")).isSameAs(tags);
        assertThat(router.find(Method.GET, "/v1/spot/a/groups/sig-1/tags")).isSameAs(any);
        assertThat(router.find(Method.GET, "/v1/spot/a/instances/smi-1/")).isSameAs(summary);
        assertThat(router.find(Method.GET, "/v1/spot/a/instances")).isSameAs(list);
        assertThat(router.find(Method.GET, "/v1/spot/a/instances/smi-1/x")).isNull();
        assertThat(router.find(Method.PUT, "/v1/spot/a/instances")).isNull();
        assertThat(router.methodsFor("/v1/spot/a/instances")).containsExactly(Method.GET, Method.POST);
        assertThat(router.find(Method.GET, "")).isNull();
    }

    @Test
    void parameterValuesArePercentDecodedWithPlusKept() {
        Endpoint e = route("/v1/spot/{account}/instances/{instance}");
        assertThat(e.pathParams("/v1/spot/my%20account/instances/smi-1+2/"))
                .isEqualTo(Map.of("account", "my account", "instance", "smi-1+2"));
        assertThat(e.pathParams("/v1/spot/a%2Fb/instances/%C3%A9")).isEqualTo(Map.of("account", "a/b", "instance", "é"));
        assertThat(route("/v1/spot/ping").pathParams("/v1/spot/ping")).isEmpty();
    }

    @Test
    void queryParametersDecodeAsJavalinDid() {
        assertThat(Exchange.parseQuery(null)).isEmpty();
        assertThat(Exchange.parseQuery("")).isEmpty();
        assertThat(Exchange.parseQuery("task=a&task=b&keep=volumes%2Csnapshots&x=1+2"))
                .isEqualTo(Map.of("task", List.of("a", "b"), "keep", List.of("volumes,snapshots"), "x", List.of("1 2")));
        // a name without '=' has the empty value; an empty pair counts as the empty name; undecodable parts drop out
        assertThat(Exchange.parseQuery("flag&&a=%zz&%zz=1&b=")).isEqualTo(
                Map.of("flag", List.of(""), "", List.of(""), "a", List.of(), "b", List.of("")));
        assertThat(Exchange.parseQuery("ke%65p=a")).containsOnlyKeys("keep");
    }

    @Test
    void methodsKeepTheirNameAndKnownOnesAreShared() {
        assertThat(Method.of("GET")).isSameAs(Method.GET);
        assertThat(Method.of("FOO").name()).isEqualTo("FOO");
        assertThat(Method.of("get")).isNotEqualTo(Method.GET);
        assertThat(new MethodNotAllowed(List.of(Method.GET, Method.POST)).allowHeader()).as("HEAD is served wherever GET is")
                .isEqualTo("GET, HEAD, POST");
        assertThat(new MethodNotAllowed(List.of(Method.POST)).allowHeader()).isEqualTo("POST");
    }
}
