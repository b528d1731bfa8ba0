using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using EdgeHub.Mqtt;
using EdgeHub.Mqtt.Protocol;
using EdgeHub.Security.Tests.Support;
using EdgeHub.Testing;

namespace EdgeHub.Security.Tests;

/// <summary>
/// <c>edgehub demo --secure</c> as its own process: while it runs, its device brokers, hub MQTT listener and hub API refuse
/// plain-TCP clients and serve TLS clients that trust DIR/pki/ca.crt (with their logins); at the end it exits 0 and the
/// learning loop's data moved (deltas committed, every row sent committed).
/// </summary>
public sealed class SecureDemoTests
{
    [Fact]
    public async Task SecureDemo_TlsOnlyListeners_RefusePlainClients_AndTheLoopCommitsDeltas()
    {
        var data = Path.Combine(Path.GetTempPath(), "edgehub-secure-demo-" + Guid.NewGuid().ToString("N")[..10]);
        var cli = Path.Combine(AppContext.BaseDirectory, "edgehub.dll");
        Assert.True(File.Exists(cli), $"the edgehub CLI was not built next to the tests ({cli})");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { cli, "demo", "--secure", "--devices", "8", "--duration", "45", "--data", data })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            var endpointsFile = Path.Combine(data, "pki", "endpoints.json");
            await Eventually.TrueAsync(() => File.Exists(endpointsFile) || process.HasExited, TimeSpan.FromMinutes(3), "the secure demo writes pki/endpoints.json once it listens");
            if (process.HasExited)
            {
                Assert.Fail($"demo exited early ({process.ExitCode}):\n{Tail(await stdout + await stderr)}");
            }

            var endpoints = JsonNode.Parse(await File.ReadAllTextAsync(endpointsFile))!.AsObject();
            var ca = endpoints["ca_file"]!.GetValue<string>();
            var credentials = (await File.ReadAllLinesAsync(endpoints["credentials_file"]!.GetValue<string>()))
                .Select(l => l.Split(' ')).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);

            await ProbeMqttAsync(Port(endpoints["edge-na-1_mqtts"]), ca, "dev-00001", credentials["dev-00001"]);
            await ProbeMqttAsync(Port(endpoints["hub_mqtts"]), ca, "edge-na-1", credentials["edge-na-1"]);
            await ProbeHttpsAsync(new Uri(endpoints["hub_https"]!.GetValue<string>()), ca);

            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(4));
            await process.WaitForExitAsync(deadline.Token);
            var output = await stdout + await stderr;
            Assert.True(process.ExitCode == 0, $"demo --secure exited {process.ExitCode}:\n{Tail(output)}");
            var summary = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(data, "demo-summary.json")))!.AsObject();
            Assert.True(summary["frames_processed"]!.GetValue<long>() > 0, $"no frame processed: {summary.ToJsonString()}");
            Assert.True(summary["deltas_committed"]!.GetValue<long>() > 0, $"no delta committed over TLS: {summary.ToJsonString()}");
            Assert.Equal(summary["rows_sent"]!.GetValue<long>(), summary["rows_committed"]!.GetValue<long>());

            // Patient data left the edges only pseudonymised: no raw patient or device id of the demo fleet in the hub's tables.
            string[] raw = [.. Enumerable.Range(1, 8).Select(i => $"P-{i:D5}"), .. Enumerable.Range(1, 8).Select(i => $"dev-{i:D5}")];
            var scan = new IdentifierScan(raw);
            scan.ScanTree(Path.Combine(data, "hub", "datasets"));
            Assert.True(scan.Files >= 2 && scan.StringsRead > 0, $"nothing to scan in the demo's datasets ({scan.Files} files)");
            Assert.True(scan.Findings.Count == 0, "raw identifiers in the demo's Delta tables:\n" + string.Join('\n', scan.Findings.Take(20)));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static int Port(JsonNode? hostPort) => int.Parse(hostPort!.GetValue<string>().Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Plain TCP with a valid login is refused; TLS trusting the CA with it connects; TLS without a login is refused.</summary>
    private static async Task ProbeMqttAsync(int port, string ca, string user, string password)
    {
        MqttClientOptions Options(bool tls, string? login) => new()
        {
            Host = "127.0.0.1",
            Port = port,
            ClientId = "probe-" + Guid.NewGuid().ToString("N")[..8],
            Username = login,
            Password = login is null ? null : password,
            Tls = tls ? new MqttTlsOptions { CaFile = ca } : null,
            AutoReconnect = false,
            ConnectTimeout = TimeSpan.FromSeconds(15),
        };

        await using (var plain = new MqttClient(Options(tls: false, user)))
        {
            await Assert.ThrowsAnyAsync<Exception>(() => plain.ConnectAsync());
            Assert.False(plain.IsConnected, $"plain TCP to port {port} connected");
        }

        await using (var anonymous = new MqttClient(Options(tls: true, null)))
        {
            var refused = await Assert.ThrowsAsync<MqttConnectException>(() => anonymous.ConnectAsync());
            Assert.Equal(MqttReasonCode.NotAuthorized, refused.ReasonCode);
        }

        await using var tls = new MqttClient(Options(tls: true, user));
        await tls.ConnectAsync();
        Assert.True(tls.IsConnected, $"TLS login as {user} on port {port} failed");
    }

    private static async Task ProbeHttpsAsync(Uri hub, string ca)
    {
        Assert.Equal("https", hub.Scheme);
        using var trusting = new HttpClient(TrustingHandler(ca)) { BaseAddress = hub, Timeout = TimeSpan.FromSeconds(30) };
        using (var health = await trusting.GetAsync("/healthz"))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        using (var api = await trusting.GetAsync("/api/v1/models"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode); // TLS is not a login: the API still wants a token
        }

        using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            using var response = await plain.GetAsync(new UriBuilder(hub) { Scheme = "http", Path = "/healthz" }.Uri);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
        catch (HttpRequestException)
        {
            // Dropped: refused as well.
        }
    }

    private static HttpClientHandler TrustingHandler(string caFile)
    {
        var ca = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(caFile);
        return new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null || (errors & ~System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors) != 0)
                {
                    return false;
                }

                using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
                chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
                return chain.Build(certificate);
            },
        };
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : text[^4000..];
}
