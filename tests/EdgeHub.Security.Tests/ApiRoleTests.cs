using System.Net;
using System.Text;
using EdgeHub.Security.Tests.Support;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EdgeHub.Security.Tests;

/// <summary>
/// Bearer tokens and roles on every endpoint the hub maps, enumerated from its endpoint data source (a new endpoint is
/// covered the moment it is mapped): no token → 401; a viewer or edge token on a mutating endpoint → 403; an operator gets
/// past authorization everywhere. Only the edge's delta upload admits the edge role, and nothing mutating is anonymous.
/// </summary>
public sealed class ApiRoleTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>Mutating endpoints the edge role may call (route pattern): the HTTP delta upload.</summary>
    private static readonly string[] EdgeMutations = ["/api/v1/deltas/{region}/{edgeId}/{sequence}"];

    private HubRig _hub = null!;

    public async Task InitializeAsync() => _hub = await HubRig.StartAsync();

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    [Fact]
    public void Endpoints_AreEnumerated_AndNothingMutatingIsAnonymous()
    {
        var endpoints = Endpoints();
        var mutating = endpoints.Where(e => e.Mutating).ToList();
        // The hub maps regions, edges, rollouts (create, pause, resume, abort/rollback), pins, retrain and delta upload at least.
        Assert.True(mutating.Count >= 8, $"only {mutating.Count} mutating endpoints found: {string.Join(", ", mutating)}");
        Assert.Contains(mutating, e => e.Pattern.StartsWith("/api/v1/rollouts", StringComparison.Ordinal));
        Assert.DoesNotContain(mutating, e => e.Anonymous);
        output.WriteLine($"{endpoints.Count} endpoints, {mutating.Count} mutating: {string.Join(", ", mutating)}");
        foreach (var e in EdgeMutations)
        {
            Assert.Contains(mutating, m => m.Pattern == e);
        }
    }

    [Fact]
    public async Task EveryProtectedEndpoint_WithoutToken_Is401_AndWithAnUnknownToken_Is401()
    {
        using var anonymous = _hub.Client(null);
        using var stranger = _hub.Client("not-a-token-of-this-hub-0123456789");
        var failures = new List<string>();
        foreach (var endpoint in Endpoints().Where(e => !e.Anonymous))
        {
            foreach (var (client, who) in new[] { (anonymous, "no token"), (stranger, "unknown token") })
            {
                var status = await SendAsync(client, endpoint);
                if (status != HttpStatusCode.Unauthorized)
                {
                    failures.Add($"{endpoint} with {who}: {(int)status}");
                }
            }
        }

        Assert.True(failures.Count == 0, "expected 401:\n" + string.Join('\n', failures));
    }

    [Fact]
    public async Task EveryMutatingEndpoint_ViewerAndEdge_Are403_OperatorIsAuthorized()
    {
        using var viewer = _hub.Client(HubRig.ViewerToken);
        using var edge = _hub.Client(HubRig.EdgeToken);
        using var @operator = _hub.Client(HubRig.OperatorToken);
        var failures = new List<string>();
        foreach (var endpoint in Endpoints().Where(e => e.Mutating))
        {
            var asViewer = await SendAsync(viewer, endpoint);
            if (asViewer != HttpStatusCode.Forbidden)
            {
                failures.Add($"{endpoint} as viewer: {(int)asViewer} (expected 403)");
            }

            var edgeAllowed = EdgeMutations.Contains(endpoint.Pattern);
            var asEdge = await SendAsync(edge, endpoint);
            if (edgeAllowed ? asEdge is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden : asEdge != HttpStatusCode.Forbidden)
            {
                failures.Add($"{endpoint} as edge: {(int)asEdge} (expected {(edgeAllowed ? "past authorization" : "403")})");
            }

            var asOperator = await SendAsync(@operator, endpoint);
            if (asOperator is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                failures.Add($"{endpoint} as operator: {(int)asOperator} (expected past authorization)");
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public async Task EveryReadEndpoint_Viewer_IsAuthorized()
    {
        using var viewer = _hub.Client(HubRig.ViewerToken);
        var failures = new List<string>();
        foreach (var endpoint in Endpoints().Where(e => !e.Mutating && !e.Anonymous))
        {
            var status = await SendAsync(viewer, endpoint);
            if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                failures.Add($"{endpoint} as viewer: {(int)status}");
            }
        }

        Assert.True(failures.Count == 0, "viewers read everything:\n" + string.Join('\n', failures));
    }

    /// <summary>Sends a request for <paramref name="endpoint"/>; returns once the status line is in (SSE streams are not read).</summary>
    private static async Task<HttpStatusCode> SendAsync(HttpClient client, ApiEndpoint endpoint)
    {
        using var request = new HttpRequestMessage(new HttpMethod(endpoint.Method), endpoint.SampleUrl);
        if (endpoint.Method is "POST" or "PUT" or "PATCH")
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return response.StatusCode;
    }

    private List<ApiEndpoint> Endpoints()
    {
        var source = _hub.App.Services.GetRequiredService<EndpointDataSource>();
        var list = new List<ApiEndpoint>();
        foreach (var endpoint in source.Endpoints.OfType<RouteEndpoint>())
        {
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            var anonymous = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            foreach (var method in methods)
            {
                list.Add(new ApiEndpoint(method, endpoint.RoutePattern.RawText ?? "", SampleUrl(endpoint.RoutePattern), anonymous));
            }
        }

        Assert.NotEmpty(list);
        return list;
    }

    /// <summary>A concrete URL for the pattern: route values typed by their constraints (numbers) or named after what they hold.</summary>
    private static string SampleUrl(RoutePattern pattern)
    {
        var builder = new StringBuilder();
        foreach (var segment in pattern.PathSegments)
        {
            builder.Append('/');
            foreach (var part in segment.Parts)
            {
                switch (part)
                {
                    case RoutePatternLiteralPart literal:
                        builder.Append(literal.Content);
                        break;
                    case RoutePatternSeparatorPart separator:
                        builder.Append(separator.Content);
                        break;
                    case RoutePatternParameterPart parameter:
                        var numeric = pattern.ParameterPolicies.TryGetValue(parameter.Name, out var policies)
                            && policies.Any(p => p.Content is "int" or "long" or "min(0)" or "min(1)");
                        builder.Append(numeric ? "1" : parameter.Name.ToLowerInvariant() switch
                        {
                            "region" => "eu",
                            "edgeid" => "edge-sec",
                            "sequence" or "seq" => "1",
                            "documentname" => "v1",
                            _ => "x1",
                        });
                        break;
                }
            }
        }

        return builder.Length == 0 ? "/" : builder.ToString();
    }

    private sealed record ApiEndpoint(string Method, string Pattern, string SampleUrl, bool Anonymous)
    {
        public bool Mutating => Method is "POST" or "PUT" or "DELETE" or "PATCH";

        public override string ToString() => $"{Method} {Pattern}";
    }
}
