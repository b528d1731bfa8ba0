using System.Buffers;
using EdgeHub.Contracts;
using EdgeHub.Hub.Ingest;
using EdgeHub.Hub.Options;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EdgeHub.Hub.Api;

/// <summary>
/// <c>PUT /api/v1/deltas/{region}/{edgeId}/{sequence}</c>: the HTTP twin of the MQTT delta topic. The body is the Parquet
/// file; the manifest travels in headers named like the MQTT user properties (<see cref="DeltaProperties"/>). Answers the
/// same <see cref="DeltaAck"/> the edge would get on its ack topic: 200 committed/duplicate, 202 held, 422 rejected.
/// </summary>
internal static class DeltaUploadEndpoint
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPut("/deltas/{region}/{edgeId}/{sequence}", async (string region, string edgeId, string sequence, HttpRequest request,
            DeltaIngestor ingestor, HubOptions options, CancellationToken ct) =>
        {
            var headerSequence = request.Headers[DeltaProperties.Sequence].ToString();
            if (headerSequence.Length > 0 && headerSequence != sequence)
            {
                return ApiResults.BadRequest($"header '{DeltaProperties.Sequence}' says {headerSequence} but the URL says {sequence}");
            }

            if (request.ContentLength > options.MaxDeltaBytes)
            {
                return Results.Json(new ApiError("too_large", $"delta is {request.ContentLength} bytes; the hub accepts at most {options.MaxDeltaBytes}"),
                    statusCode: StatusCodes.Status413PayloadTooLarge);
            }

            var (buffer, length) = await ReadBodyAsync(request, options.MaxDeltaBytes, ct);
            if (buffer is null)
            {
                return Results.Json(new ApiError("too_large", $"delta is larger than {options.MaxDeltaBytes} bytes"), statusCode: StatusCodes.Status413PayloadTooLarge);
            }

            try
            {
                var submission = new DeltaSubmission("http", region, edgeId, Header(request, DeltaProperties.DeltaId), sequence,
                    Header(request, DeltaProperties.Rows), Header(request, DeltaProperties.Sha256), Header(request, DeltaProperties.SchemaId),
                    buffer.AsMemory(0, length));
                var ack = await ingestor.IngestAsync(submission, ct);
                var status = ack.Status switch
                {
                    "committed" or "duplicate" => StatusCodes.Status200OK,
                    "held" => StatusCodes.Status202Accepted,
                    _ => StatusCodes.Status422UnprocessableEntity,
                };
                return Results.Json(ack, ContractsJson.Default.DeltaAck, statusCode: status);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }).RequireAuthorization(Policies.Upload).WithName("UploadDelta")
          .WithSummary("Uploads one Parquet delta (headers: delta-id, rows, sha256, schema-id); same semantics as the MQTT delta topic.");
    }

    private static string? Header(HttpRequest request, string name) => request.Headers.TryGetValue(name, out var v) ? v.ToString() : null;

    /// <summary>Reads the body into a pooled buffer; null when it exceeds <paramref name="max"/>.</summary>
    private static async Task<(byte[]? Buffer, int Length)> ReadBodyAsync(HttpRequest request, int max, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(request.ContentLength ?? 64 * 1024, 1, max) + 1);
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (buffer.Length > max)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return (null, 0);
                }

                var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, max + 1));
                buffer.AsSpan(0, length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = bigger;
            }

            var n = await request.Body.ReadAsync(buffer.AsMemory(length), ct);
            if (n == 0)
            {
                break;
            }

            length += n;
        }

        if (length > max)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return (null, 0);
        }

        return (buffer, length);
    }
}
