using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace EdgeHub.Cli.Ctl;

/// <summary>Thrown when the hub answers with an error; carries the hub's own reason for the one-line message.</summary>
internal sealed class HubApiException(string message) : Exception(message);

/// <summary>The operator CLI's connection to a hub's REST API (bearer token, JSON in and out).</summary>
internal sealed class HubApiClient : IDisposable
{
    private readonly HttpClient _http;

    public HubApiClient(string baseUrl, string? token)
    {
        if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
        {
            throw new ArgumentException($"--hub '{baseUrl}' is not an http(s) URL (e.g. http://127.0.0.1:5000)");
        }

        _http = new HttpClient { BaseAddress = uri, Timeout = TimeSpan.FromSeconds(30) };
        if (!string.IsNullOrEmpty(token))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public Task<JsonNode?> GetAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Get, path, null, ct);

    public Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonObject? body, CancellationToken ct) => SendCoreAsync(method, path, body, ct);

    /// <summary>Downloads raw bytes (model ONNX files).</summary>
    public async Task<byte[]> GetBytesAsync(string path, CancellationToken ct)
    {
        using var response = await SendRawAsync(HttpMethod.Get, path, null, ct).ConfigureAwait(false);
        return await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
    }

    private async Task<JsonNode?> SendCoreAsync(HttpMethod method, string path, JsonObject? body, CancellationToken ct)
    {
        using var response = await SendRawAsync(method, path, body, ct).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, JsonObject? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new HubApiException($"cannot reach the hub at {_http.BaseAddress}: {ex.Message} (set --hub or EDGEHUB_HUB_URL)");
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            throw new HubApiException($"hub answered {(int)response.StatusCode} {response.ReasonPhrase}: {Reason(text)}");
        }
    }

    /// <summary>The hub's reason from an error body ({"error","reason"} or ProblemDetails), else the raw text.</summary>
    private static string Reason(string text)
    {
        try
        {
            if (JsonNode.Parse(text) is JsonObject o)
            {
                return o["reason"]?.ToString() ?? o["detail"]?.ToString() ?? o["title"]?.ToString() ?? text;
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }

        return text.Length == 0 ? "(no reason given)" : text.Trim();
    }

    public void Dispose() => _http.Dispose();
}
