using System.Net;
using System.Net.Http.Headers;
using EdgeHub.Contracts;
using EdgeHub.Edge;
using EdgeHub.Edge.Hosting;
using EdgeHub.Security.Tests.Support;
using EdgeHub.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeHub.Security.Tests;

/// <summary>
/// The edge's clinician API (EdgeHost in-process, real Kestrel on an ephemeral port) refuses requests without a clinician
/// token (401 with a reason), confines a token to its sites (403), records the token's name as the labeller, and signs the
/// page in with an HttpOnly SameSite=Strict cookie that then opens the alert stream.
/// </summary>
public sealed class ClinicianAccessTests : IAsyncLifetime
{
    private const string Ward7Token = "ward7-token-7b2d9e41c0a5f3";
    private const string AnyWardToken = "chief-token-93ac51e0d27b4f";
    private const string OperatorToken = "operator-token-5e81c2a94f07";

    private readonly TempDir _dir = new();
    private WebApplication _edge = null!;
    private HttpClient _http = null!;

    private EdgeAgent Agent => _edge.Services.GetRequiredService<EdgeAgent>();

    public async Task InitializeAsync()
    {
        _edge = EdgeHost.Build(null, ["--urls", "http://127.0.0.1:0"], o =>
        {
            var d = EdgeRig.DefaultOptions(_dir.Path);
            o.EdgeId = d.EdgeId;
            o.Region = d.Region;
            o.DataDirectory = d.DataDirectory;
            o.DeviceBroker = d.DeviceBroker;
            o.PseudonymKey = d.PseudonymKey;
            o.Clinician.Tokens.Add(new ClinicianToken { Name = "dr-seven", Token = Ward7Token, Sites = ["ward-7"] });
            o.Clinician.Tokens.Add(new ClinicianToken { Name = "chief", Token = AnyWardToken });
            o.OperatorToken = OperatorToken;
        });
        await _edge.StartAsync();
        var url = _edge.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = new Uri(url) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _edge.StopAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Labels_NoToken_401WithReason()
    {
        var alert = Raise("ward-7");
        using var response = await _http.SendAsync(LabelRequest(alert.AlertId, token: null));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("sign-in needed", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, Agent.Metrics.Labels);
    }

    [Fact]
    public async Task Labels_WrongToken_401_AndWrongCookie_401()
    {
        var alert = Raise("ward-7");
        using var wrong = await _http.SendAsync(LabelRequest(alert.AlertId, token: Ward7Token + "x"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains("not valid on this edge", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var cookie = LabelRequest(alert.AlertId, token: null);
        cookie.Headers.Add("Cookie", ClinicianAccess.CookieName + "=" + AnyWardToken[..^1]);
        using var stale = await _http.SendAsync(cookie);
        Assert.Equal(HttpStatusCode.Unauthorized, stale.StatusCode);
        Assert.Contains("open the clinician link again", await stale.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Labels_OtherSitesAlert_403_OwnSite_AcceptedAndLabelledByTheTokensName()
    {
        var other = Raise("ward-9");
        using var denied = await _http.SendAsync(LabelRequest(other.AlertId, Ward7Token));
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Contains("'dr-seven' has no access to site 'ward-9'", await denied.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var own = Raise("ward-7");
        // The body claims someone else: the edge records who holds the token.
        using var accepted = await _http.SendAsync(LabelRequest(own.AlertId, Ward7Token, claimedClinician: "someone-else"));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Contains("\"clinician\":\"dr-seven\"", await accepted.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var chief = await _http.SendAsync(LabelRequest(other.AlertId, AnyWardToken));
        Assert.Equal(HttpStatusCode.Accepted, chief.StatusCode); // a token without sites covers every site of the edge
    }

    [Fact]
    public async Task Stream_NoToken_401_OtherSite_403()
    {
        using var anonymous = await _http.GetAsync("/api/alerts/stream", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Contains("sign-in needed", await anonymous.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var active = await _http.GetAsync("/api/alerts");
        Assert.Equal(HttpStatusCode.Unauthorized, active.StatusCode);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/alerts/stream?site=ward-9");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Ward7Token);
        using var otherSite = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.Forbidden, otherSite.StatusCode);
    }

    [Fact]
    public async Task SignIn_SetsHttpOnlyStrictCookie_ThatOpensTheStream_WithOnlyTheTokensSites()
    {
        using var noHeader = await _http.PostAsync("/api/clinician/session", null);
        Assert.Equal(HttpStatusCode.Unauthorized, noHeader.StatusCode);

        using var signIn = new HttpRequestMessage(HttpMethod.Post, "/api/clinician/session");
        signIn.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Ward7Token);
        using var session = await _http.SendAsync(signIn);
        Assert.Equal(HttpStatusCode.OK, session.StatusCode);
        var setCookie = Assert.Single(session.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith(ClinicianAccess.CookieName + "=", setCookie, StringComparison.Ordinal);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/api/", setCookie, StringComparison.OrdinalIgnoreCase);

        using var open = new HttpRequestMessage(HttpMethod.Get, "/api/alerts/stream");
        open.Headers.Add("Cookie", setCookie.Split(';')[0]);
        using var stream = await _http.SendAsync(open, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        Assert.Equal(": alerts", await reader.ReadLineAsync()); // subscribed: alerts published from now on reach this stream

        var hidden = Raise("ward-9");
        var shown = Raise("ward-7");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        string? data = null;
        while (data is null)
        {
            var line = await reader.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("the stream ended");
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data = line;
            }
        }

        Assert.Contains(shown.AlertId, data, StringComparison.Ordinal); // ward-9's alert (published first) was not sent
        Assert.DoesNotContain(hidden.AlertId, data, StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_ShortOrSharedTokens_NamedAtStart()
    {
        var shortToken = new ClinicianOptions { Tokens = [new ClinicianToken { Name = "a", Token = "short" }] };
        var e1 = Assert.Throws<EdgeConfigurationException>(() => Validate(shortToken));
        Assert.Contains("Edge:Clinician:Tokens:0:Token of 'a' is shorter than 16", e1.Message, StringComparison.Ordinal);

        var shared = new ClinicianOptions
        {
            Tokens = [new ClinicianToken { Name = "a", Token = Ward7Token }, new ClinicianToken { Name = "b", Token = Ward7Token }],
        };
        var e2 = Assert.Throws<EdgeConfigurationException>(() => Validate(shared));
        Assert.Contains("the same as the token of 'a'", e2.Message, StringComparison.Ordinal);
    }

    private static void Validate(ClinicianOptions clinician)
    {
        var options = EdgeRig.DefaultOptions(Path.GetTempPath());
        options.Clinician = clinician;
        options.Validate();
    }

    private AlertMessage Raise(string site)
    {
        var now = DateTimeOffset.UtcNow;
        var alert = new AlertMessage
        {
            AlertId = "a-" + Guid.NewGuid().ToString("N")[..12],
            State = "raised",
            Kind = "hr_high",
            Source = "safety",
            Severity = AlertSeverity.High,
            SiteId = site,
            DeviceId = "dev-00001",
            PatientPseudonym = "p_test",
            StartedAt = now,
            UpdatedAt = now,
        };
        Agent.Alerts.Add(alert);
        return alert;
    }

    private static HttpRequestMessage LabelRequest(string alertId, string? token, string? claimedClinician = null)
    {
        var body = $$"""{"alertId":"{{alertId}}","action":"confirm","clinician":{{(claimedClinician is null ? "null" : "\"" + claimedClinician + "\"")}}}""";
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/labels")
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }

    [Fact]
    public async Task ModelRollback_NeedsTheOperatorToken_NotAClinicians()
    {
        async Task<(HttpStatusCode, string)> PostAsync(string? token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/model/rollback");
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            using var response = await _http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        var (none, noneBody) = await PostAsync(null);
        Assert.Equal(HttpStatusCode.Unauthorized, none);
        Assert.Contains("operator token needed", noneBody, StringComparison.Ordinal);
        var (clinician, clinicianBody) = await PostAsync(AnyWardToken);
        Assert.Equal(HttpStatusCode.Unauthorized, clinician);
        Assert.Contains("not valid on this edge", clinicianBody, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync(OperatorToken)).Item1);
    }

    [Fact]
    public async Task ModelRollback_WithoutAnOperatorTokenConfigured_Is403WithTheWayThroughTheHub()
    {
        using var dir = new TempDir();
        var edge = EdgeHost.Build(null, ["--urls", "http://127.0.0.1:0"], o =>
        {
            var d = EdgeRig.DefaultOptions(dir.Path);
            (o.EdgeId, o.Region, o.DataDirectory, o.DeviceBroker, o.PseudonymKey) = (d.EdgeId, d.Region, d.DataDirectory, d.DeviceBroker, d.PseudonymKey);
        });
        await edge.StartAsync();
        try
        {
            var url = edge.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/model/rollback");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", OperatorToken);
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains("edgehub ctl rollouts abort", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            await edge.StopAsync();
        }
    }
}
