using Microsoft.AspNetCore.Http;

namespace EdgeHub.Hub.Api;

/// <summary>Error answers in one shape: <c>{"error": "...", "reason": "..."}</c>.</summary>
internal static class ApiResults
{
    public static IResult BadRequest(string reason) => Results.Json(new ApiError("bad_request", reason), statusCode: StatusCodes.Status400BadRequest);

    public static IResult NotFound(string reason) => Results.Json(new ApiError("not_found", reason), statusCode: StatusCodes.Status404NotFound);

    public static IResult Conflict(string reason) => Results.Json(new ApiError("conflict", reason), statusCode: StatusCodes.Status409Conflict);

    public static IResult Unprocessable(string reason) =>
        Results.Json(new ApiError("unprocessable", reason), statusCode: StatusCodes.Status422UnprocessableEntity);

    public static IResult Unavailable(string reason) =>
        Results.Json(new ApiError("unavailable", reason), statusCode: StatusCodes.Status503ServiceUnavailable);
}
