package dev.spotapi.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.spotapi.support.TestService;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Issue 6: the Swagger UI page at {@code /v1/spot/docs}, opened in Debian's headless Chromium, renders the
 * operations of openapi.json and can call the API through the page, with and without the X-Auth-Token.
 *
 * <p>Chromium and ChromeDriver come from Debian ({@code .ci/install-browser.sh}); Selenium Manager is never
 * used (no downloads), and every hostname but 127.0.0.1 is unresolvable inside the browser.
 */
@ResourceLock(TestService.SHARED)
@Order(5) // long: started first
class DocsPageBrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SCREENSHOT = Path.of("target", "docs-page.png");
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration CALL_WAIT = Duration.ofSeconds(45);
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private static TestService service;
    private static Path profile;
    private static ChromeDriverService driverService;
    private static WebDriver driver;

    @BeforeAll
    static void startBrowser() throws IOException {
        // no skipping: a missing browser is a broken CI setup, not a reason to pass
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            fail("Debian's Chromium is needed for this test but " + (Files.isExecutable(CHROMIUM) ? CHROMEDRIVER
                    : CHROMIUM) + " is missing: run .ci/install-browser.sh (as root) first");
        }
        service = TestService.shared();
        profile = Files.createTempDirectory("spotapi-chromium-");

        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
        driverService = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()) // Selenium Manager is skipped when this is set
                .usingAnyFreePort()
                .withLogFile(Path.of("target", "chromedriver.log").toFile())
                .build();

        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--user-data-dir=" + profile.toAbsolutePath(),
                "--window-size=1400,2000",
                // keep the browser on loopback: no proxy, no name resolves but 127.0.0.1
                "--no-proxy-server",
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                "--disable-extensions",
                "--no-default-browser-check");
        options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
        driver = new ChromeDriver(driverService, options);
        driver.manage().timeouts().pageLoadTimeout(WAIT);
    }

    @AfterAll
    static void stopBrowser() throws IOException {
        try {
            if (driver != null) {
                driver.quit();
            }
        } finally {
            if (driverService != null) {
                driverService.stop();
            }
            if (profile != null) {
                try (Stream<Path> files = Files.walk(profile)) {
                    files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
                }
            }
        }
    }

    @Test
    void docsPageRendersTheOperationsOfTheDocument() {
        diagnosed("renders", () -> {
            openDocs();
            List<String> paths = driver.findElements(By.cssSelector(".opblock .opblock-summary-path")).stream()
                    .map(e -> e.getAttribute("data-path")).collect(Collectors.toList());

            assertThat(paths).as("operation paths rendered by Swagger UI")
                    .contains("/v1/spot/ping", "/v1/spot/{account}/instances/{instance}",
                            "/v1/spot/{account}/elastigroups", "/v1/spot/openapi.json");
            assertThat(driver.findElements(By.cssSelector(".opblock"))).as("one block per operation")
                    .hasSize(service.api.routes().size());
            assertThat(driver.findElements(By.cssSelector(".errors-wrapper, .loading-container .errors")))
                    .as("Swagger UI shows no document errors").isEmpty();
        });
    }

    @Test
    void pingCanBeCalledThroughThePage() {
        diagnosed("ping", () -> {
            openDocs();
            WebElement op = openOperation("get", "/v1/spot/ping");
            tryItOut(op);
            op.findElement(By.cssSelector("button.execute")).click();

            Response r = awaitLiveResponse(op, "200");
            assertThat(r.status).as("live response code").isEqualTo("200");
            assertThat(r.body).as("live response body").isEqualTo("pong");
            assertThat(r.requestUrl).as("the page called this server")
                    .isEqualTo(service.base + "/ping");

            byte[] png = fullPageScreenshot();
            writeScreenshot(SCREENSHOT, png);
            assertThat(png.length).as("screenshot size (bytes)").isGreaterThan(20_000);
            assertThat(png).as("PNG signature").startsWith(PNG_SIGNATURE);
            ByteBuffer header = ByteBuffer.wrap(png, 16, 8);
            int width = header.getInt();
            int height = header.getInt();
            assertThat(width).as("screenshot width").isGreaterThanOrEqualTo(1000);
            assertThat(height).as("screenshot height").isGreaterThanOrEqualTo(1000);
        });
    }

    @Test
    void authorizeWithTheTokenThenCallAProtectedRoute() {
        diagnosed("authorized", () -> {
            openDocs();
            WebElement op = openOperation("get", "/v1/spot/{account}/instances");
            tryItOut(op);
            setParameter(op, "account", "main");

            // without authorizing, the server refuses and the page shows it
            op.findElement(By.cssSelector("button.execute")).click();
            Response refused = awaitLiveResponse(op, "403");
            assertThat(refused.status).as("status before Authorize").isEqualTo("403");
            assertThat(refused.body).as("error body before Authorize").contains("X-Auth-Token");

            authorize(TestService.TOKEN);

            op.findElement(By.cssSelector("button.execute")).click();
            Response ok = awaitLiveResponse(op, "200");
            assertThat(ok.status).as("status after Authorize (body: %s)", ok.body).isEqualTo("200");
            assertThat(ok.body.trim()).as("instances list").startsWith("[").endsWith("]");
            assertThat(ok.requestUrl).as("request URL").isEqualTo(service.base + "/main/instances");
            assertThat(op.findElement(By.cssSelector(".curl-command, .curl")).getText())
                    .as("curl shown by the page carries the token").contains("X-Auth-Token: " + TestService.TOKEN);
        });
    }

    // ---- page helpers -------------------------------------------------------------------------------

    /** Loads the page with no stored authorization and waits until the operations are rendered. */
    private static void openDocs() {
        String url = service.base + "/docs";
        // forget an authorization an earlier test stored, without loading the page twice
        URI base = URI.create(url);
        ((ChromeDriver) driver).executeCdpCommand("Storage.clearDataForOrigin", Map.of(
                "origin", base.getScheme() + "://" + base.getAuthority(), "storageTypes", "local_storage"));
        driver.get(url);
        waiting(WAIT).withMessage("Swagger UI rendered no .opblock operations at " + url)
                .until(d -> !d.findElements(By.cssSelector(".opblock .opblock-summary-path")).isEmpty());
    }

    /** Expands one operation and returns its block. */
    private static WebElement openOperation(String method, String path) {
        By block = By.xpath("//div[contains(concat(' ', normalize-space(@class), ' '), ' opblock-" + method + " ')]"
                + "[.//*[contains(@class, 'opblock-summary-path') and @data-path='" + path + "']]");
        WebElement op = waiting(WAIT).withMessage("no operation " + method + " " + path)
                .until(ExpectedConditions.presenceOfElementLocated(block));
        if (!op.getAttribute("class").contains("is-open")) {
            op.findElement(By.cssSelector(".opblock-summary-control")).click();
        }
        waiting(WAIT).withMessage(method + " " + path + " did not open")
                .until(d -> !op.findElements(By.cssSelector(".opblock-body")).isEmpty());
        return op;
    }

    /** Clicks "Try it out" unless the page already has it on (tryItOutEnabled), then waits for Execute. */
    private static void tryItOut(WebElement op) {
        WebElement button = waiting(WAIT).withMessage("no Try it out button")
                .until(d -> op.findElements(By.cssSelector("button.try-out__btn")).stream().findFirst().orElse(null));
        if (button.getText().trim().startsWith("Try it out")) {
            button.click();
        }
        waiting(WAIT).withMessage("no Execute button after Try it out")
                .until(d -> op.findElements(By.cssSelector("button.execute")).stream()
                        .anyMatch(WebElement::isDisplayed));
    }

    private static void setParameter(WebElement op, String name, String value) {
        WebElement input = op.findElement(By.cssSelector("tr[data-param-name='" + name + "'] input"));
        input.click();
        input.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.DELETE);
        input.sendKeys(value);
        assertThat(input.getAttribute("value")).as("parameter %s", name).isEqualTo(value);
    }

    /** Enters the token in the Authorize dialog of the X-Auth-Token scheme and closes it. */
    private static void authorize(String token) {
        driver.findElement(By.cssSelector(".auth-wrapper button.authorize")).click();
        WebElement dialog = waiting(WAIT).withMessage("Authorize dialog did not open")
                .until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(".modal-ux")));
        assertThat(dialog.getText()).as("Authorize dialog").contains("XAuthToken").contains("X-Auth-Token");
        WebElement input = dialog.findElement(By.cssSelector("input#api_key_value, .auth-container input"));
        input.sendKeys(token);
        dialog.findElement(By.cssSelector("button.modal-btn.authorize")).click();
        waiting(WAIT).withMessage("Authorize did not take the token (no Logout button)")
                .until(d -> d.findElements(By.cssSelector(".modal-ux .auth-btn-wrapper button")).stream()
                        .anyMatch(b -> b.getText().trim().equals("Logout")));
        dialog.findElement(By.cssSelector("button.btn-done")).click();
        waiting(WAIT).withMessage("Authorize dialog did not close")
                .until(ExpectedConditions.invisibilityOfElementLocated(By.cssSelector(".modal-ux")));
    }

    private record Response(String status, String body, String requestUrl) {
    }

    /** Waits for the "Server response" of an executed operation to show the expected status code. */
    private static Response awaitLiveResponse(WebElement op, String expectedStatus) {
        By status = By.cssSelector(".live-responses-table tbody .response .response-col_status");
        try {
            waiting(CALL_WAIT).until(d -> op.findElements(status).stream()
                    .anyMatch(e -> e.getText().trim().startsWith(expectedStatus)));
        } catch (org.openqa.selenium.TimeoutException e) {
            // fall through: report what the page shows instead of a bare timeout
        }
        List<WebElement> shown = op.findElements(status);
        if (shown.isEmpty()) {
            fail("no live response for the executed call within " + CALL_WAIT.toSeconds() + " s; the page shows: "
                    + op.findElement(By.cssSelector(".opblock-body")).getText());
        }
        String code = shown.get(0).getText().trim().split("\\s+")[0];
        List<WebElement> bodies = op.findElements(
                By.cssSelector(".live-responses-table .response .response-col_description .highlight-code pre"));
        String body = bodies.isEmpty() ? op.findElement(By.cssSelector(".live-responses-table")).getText()
                : bodies.get(0).getText().trim();
        List<WebElement> url = op.findElements(By.cssSelector(".request-url pre"));
        return new Response(code, body, url.isEmpty() ? "" : url.get(0).getText().trim());
    }

    // ---- diagnostics --------------------------------------------------------------------------------

    /** Runs a browser check; on failure keeps a screenshot and the browser console in the failure. */
    private static void diagnosed(String name, Runnable check) {
        try {
            check.run();
        } catch (AssertionError | RuntimeException e) {
            String detail = "";
            try {
                Path shot = Path.of("target", "docs-page-failure-" + name + ".png");
                writeScreenshot(shot, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
                detail = "\nscreenshot: " + shot + "\nbrowser console:\n" + browserConsole();
            } catch (RuntimeException ignored) {
                // the original failure matters more
            }
            throw new AssertionError(e.getMessage() + detail, e);
        }
    }

    private static String browserConsole() {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .map(LogEntry::toString).collect(Collectors.joining("\n"));
    }

    /** The whole page (the live ping response and every operation), by growing the window to the page. */
    private static byte[] fullPageScreenshot() {
        Dimension before = driver.manage().window().getSize();
        long height = ((Number) ((JavascriptExecutor) driver).executeScript(
                "return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight);")).longValue();
        try {
            // the window is taller than its viewport by the (headless) browser frame
            int frame = Math.max(0, before.getHeight() - ((Number) ((JavascriptExecutor) driver)
                    .executeScript("return window.innerHeight;")).intValue());
            driver.manage().window().setSize(new Dimension(before.getWidth(),
                    (int) Math.min(Math.max(height + frame, before.getHeight()), 8_000)));
            return ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES);
        } finally {
            driver.manage().window().setSize(before);
        }
    }

    private static void writeScreenshot(Path file, byte[] png) {
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, png);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A wait that looks every 50 ms (Selenium's default, 500 ms, adds up to seconds per test). */
    private static WebDriverWait waiting(Duration timeout) {
        WebDriverWait wait = new WebDriverWait(driver, timeout);
        wait.pollingEvery(Duration.ofMillis(50));
        return wait;
    }
}
