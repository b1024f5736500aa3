package io.github.elasticimage.web;

import io.micronaut.runtime.server.EmbeddedServer;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Drives the page at {@code /} in headless Chromium (Debian's {@code chromium} and {@code chromium-driver}, which
 * {@code .ci/run} installs), with API keys on: choose {@code samples/coffee.png} without a key and see the 401 asking
 * for one, enter the key, classify again and see {@code espresso} with its top-5 and time, and the result in the
 * last-results table; the key stays in the tab after a reload. Saves a screenshot to
 * {@code target/screenshots/page.png}. The web tier is real, against real SQS and S3 servers; the classifier is
 * {@link EspressoWorker}, which answers only for the exact bytes of the sample.
 */
class PageBrowserTest extends WebTierTest {

    private static final Path CHROMIUM = Path.of(System.getProperty("chromium.binary", "/usr/bin/chromium"));
    private static final Path CHROMEDRIVER = Path.of(System.getProperty("chromedriver.binary", "/usr/bin/chromedriver"));
    private static final Path SCREENSHOT = Path.of("target", "screenshots", "page.png");

    private final Path sample = Path.of(System.getProperty("samples.dir"), "coffee.png");
    private final EspressoWorker worker = new EspressoWorker(CLOUD, Files.readAllBytes(sample));
    private static final String KEY = "page-key-" + java.util.UUID.randomUUID();

    @Inject
    EmbeddedServer server;

    private String managementPort;

    PageBrowserTest() throws IOException {
    }

    @Override
    protected void configure(Map<String, String> properties) {
        properties.put("app.auth.api-keys", KEY);
        managementPort = properties.get(WebTestProperties.MANAGEMENT_PORT);
    }

    @AfterAll
    void stop() throws InterruptedException {
        worker.close();
    }

    @Test
    void choosingTheCoffeeSampleShowsEspressoWithTop5AndTime() throws IOException {
        boolean browser = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        String why = "SKIPPED: PageBrowserTest: no headless browser: needs " + CHROMIUM + " and " + CHROMEDRIVER
                + " (Debian packages chromium and chromium-driver; .ci/run installs them)";
        if (!browser) {
            System.err.println(why);
        }
        assumeTrue(browser, why);
        Path profile = Files.createTempDirectory("chromium-profile");
        // The driver path is given, so Selenium Manager is never asked to find or download one.
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1280,860", "--user-data-dir=" + profile);
        WebDriver driver = new ChromeDriver(service, options);
        try {
            driver.get(server.getURL() + "/");
            assertEquals("Elastic image recognition", driver.getTitle());
            WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(20));

            // Keyboard: the file chooser is the first control reached with Tab.
            new Actions(driver).sendKeys(Keys.TAB).perform();
            assertEquals("file-input", driver.switchTo().activeElement().getAttribute("id"));
            WebElement input = driver.findElement(By.id("file-input"));
            assertEquals("Choose an image or drop one here",
                    driver.findElement(By.cssSelector("label[for=file-input]")).getText().replaceAll("\\s+", " "));

            assertFalse(driver.findElement(By.id("result-body")).isDisplayed(), "no result before an upload");
            assertEquals("No image yet.", driver.findElement(By.id("result-status")).getText());

            // Without a key: the service's 401, and what to do about it.
            input.sendKeys(sample.toAbsolutePath().toString());
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("error")));
            String refused = driver.findElement(By.id("error")).getText();
            assertTrue(refused.startsWith("401: ") && refused.contains("Enter the API key"), refused);

            // With the key: typed into its field (kept in the tab), then "Classify again" resends the image.
            driver.findElement(By.id("api-key")).sendKeys(KEY);
            driver.findElement(By.id("classify-button")).click();
            wait.until(ExpectedConditions.textToBe(By.id("result-label"), "espresso"));

            assertEquals("polite", driver.findElement(By.id("result")).getAttribute("aria-live"));
            assertEquals("87 %", driver.findElement(By.id("result-confidence")).getText());
            assertTrue(driver.findElement(By.id("result-time")).getText().matches("\\d+ ms|\\d+\\.\\d\\d s"),
                    driver.findElement(By.id("result-time")).getText());
            assertEquals("coffee.png", driver.findElement(By.id("result-file")).getText());
            List<String> top5 = driver.findElements(By.cssSelector("#top5 li .row span:first-child")).stream()
                    .map(WebElement::getText).toList();
            assertEquals(EspressoWorker.TOP5.stream().map(p -> p.label()).toList(), top5);
            assertFalse(driver.findElement(By.id("error")).isDisplayed(), "no error shown");
            assertTrue(driver.findElement(By.id("result-body")).isDisplayed());

            assertFalse(driver.findElement(By.id("live-card")).isDisplayed(),
                    "no live panel on the public port: its counts are on the management port");

            List<WebElement> recent = driver.findElements(By.cssSelector("#recent tr"));
            assertEquals(1, recent.size());
            assertTrue(recent.get(0).getText().contains("espresso"), recent.get(0).getText());

            Files.createDirectories(SCREENSHOT.getParent());
            Path shot = ((ChromeDriver) driver).getScreenshotAs(OutputType.FILE).toPath();
            Files.copy(shot, SCREENSHOT, StandardCopyOption.REPLACE_EXISTING);
            System.out.println("PageBrowserTest: screenshot saved to " + SCREENSHOT.toAbsolutePath());

            // The key is kept in this tab (sessionStorage), not sent anywhere but as X-Api-Key.
            driver.navigate().refresh();
            wait.until(ExpectedConditions.attributeToBe(By.id("api-key"), "value", KEY));
            assertEquals("password", driver.findElement(By.id("api-key")).getAttribute("type"));

            // The same page on the management port is the operator's view: the live panel with the status counts.
            driver.get("http://127.0.0.1:" + managementPort + "/");
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("live-card")));
            wait.until(ExpectedConditions.textMatches(By.id("live-updated"), java.util.regex.Pattern.compile("^Updated ")));
            assertTrue(driver.findElement(By.id("live-visible")).getText().matches("\\d+"),
                    driver.findElement(By.id("live-visible")).getText());
            assertTrue(driver.findElement(By.id("live-pending")).getText().matches("\\d+"),
                    driver.findElement(By.id("live-pending")).getText());
        } finally {
            driver.quit();
        }
    }
}
