using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace EdgeHub.Edge.Models;

/// <summary>
/// The HTTP client the edge downloads models with (assignments above the hub's inline limit carry a Url instead of the
/// bytes). It presents <see cref="EdgeOptions.HubApiToken"/> as <c>Authorization: Bearer</c> — only to the origin of
/// <see cref="EdgeOptions.HubUrl"/>, so an assignment naming another host never receives the hub token — and trusts
/// <see cref="EdgeOptions.HubCaFile"/> as the root for the hub's certificate (a private CA such as the secure demo's), on
/// top of the system store. The bytes themselves are trusted only after the signature check, whatever the transport.
/// </summary>
public static class ModelFetchClient
{
    /// <summary>How long one download may take.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <summary>Builds the client from the edge's settings (call after <see cref="EdgeOptions.Validate"/>).</summary>
    public static HttpClient Create(EdgeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
        if (!string.IsNullOrWhiteSpace(options.HubCaFile))
        {
            var ca = X509CertificateLoader.LoadCertificateFromFile(options.HubCaFile);
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => TrustedBy(ca, certificate, errors),
            };
        }

        HttpMessageHandler outer = handler;
        if (!string.IsNullOrWhiteSpace(options.HubApiToken) && !string.IsNullOrWhiteSpace(options.HubUrl))
        {
            outer = new HubTokenHandler(new Uri(options.HubUrl, UriKind.Absolute), options.HubApiToken) { InnerHandler = handler };
        }

        return new HttpClient(outer) { Timeout = Timeout };
    }

    /// <summary>
    /// True when the system store already accepts the certificate, or when its chain ends at <paramref name="ca"/> with no
    /// other fault (name mismatch or an unusable chain still fail).
    /// </summary>
    internal static bool TrustedBy(X509Certificate2 ca, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck; // a private CA publishes no revocation lists
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }

    /// <summary>Adds the hub token to requests for the hub's origin only.</summary>
    private sealed class HubTokenHandler(Uri hub, string token) : DelegatingHandler
    {
        private readonly AuthenticationHeaderValue _authorization = new("Bearer", token);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri is { } uri && request.Headers.Authorization is null &&
                Uri.Compare(uri, hub, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0)
            {
                request.Headers.Authorization = _authorization;
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
