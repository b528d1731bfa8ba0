using Microsoft.Playwright;
using EdgeHub.Testing;

namespace EdgeHub.EndToEnd.Tests.Browser;

/// <summary>
/// Playwright driving the system chromium (/usr/bin/chromium, headless). Browsers are never downloaded: hospitals and this
/// build machine run offline. Screenshots go to &lt;repo&gt;/TestResults/screenshots (git-ignored).
/// </summary>
public sealed class BrowserSession : IAsyncDisposable
{
    /// <summary>The Debian chromium the tests drive.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private BrowserSession(IPlaywright playwright, IBrowser browser, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Page = page;
    }

    /// <summary>The page (one context per session).</summary>
    public IPage Page { get; }

    /// <summary>Console errors and uncaught page errors, for failure messages.</summary>
    public List<string> Errors { get; } = [];

    /// <summary>Where screenshots are written.</summary>
    public static string ScreenshotDirectory => Path.Combine(RepoPaths.Root, "TestResults", "screenshots");

    /// <summary>Launches chromium with a viewport of <paramref name="width"/>×<paramref name="height"/>.</summary>
    public static async Task<BrowserSession> StartAsync(int width, int height)
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: install Debian's chromium package (apt-get install chromium)");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height } });
        var page = await context.NewPageAsync();
        var session = new BrowserSession(playwright, browser, page);
        page.Console += (_, m) =>
        {
            if (m.Type == "error")
            {
                lock (session.Errors)
                {
                    session.Errors.Add("console: " + m.Text);
                }
            }
        };
        page.PageError += (_, e) =>
        {
            lock (session.Errors)
            {
                session.Errors.Add("page error: " + e);
            }
        };
        return session;
    }

    /// <summary>Saves a full-page screenshot as <paramref name="name"/>.png and returns its path.</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        var path = Path.Combine(ScreenshotDirectory, name + ".png");
        await Page.ScreenshotAsync(new() { Path = path, FullPage = true });
        return path;
    }

    /// <summary>Page errors seen so far, one per line.</summary>
    public string ErrorText()
    {
        lock (Errors)
        {
            return Errors.Count == 0 ? "(no page errors)" : string.Join("\n", Errors);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
