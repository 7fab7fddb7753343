using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;

namespace Corral.Gateway.Api;

/// <summary>
/// Enforces the endpoint's <see cref="IRequestSizeLimitMetadata"/>: a declared length over it is refused before a
/// byte is read, and a chunked body is cut off where it passes it (Kestrel's own limit is set to it too). Either way
/// the answer is a 413 problem naming "body" and the limit. Runs after routing, so it sees the endpoint.
/// </summary>
public sealed class BodyLimitMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>() is not { MaxRequestBodySize: { } limit })
        {
            await next(context);
            return;
        }

        if (context.Request.ContentLength is { } length && length > limit)
        {
            await RefuseAsync(context, limit, $"is {length} bytes; the limit for {context.Request.Method} {context.Request.Path} is {limit} bytes{SettingOf(context)}");
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        var body = new LimitedBodyStream(context.Request.Body, limit);
        context.Request.Body = body;
        try
        {
            await next(context);
        }
        catch (Exception error) when ((body.Exceeded || error is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge })
                                      && !context.Response.HasStarted)
        {
            // Whatever a reader made of the cut-off body (a 400 from the JSON binder, a form error), the cause is its size.
            body.Exceeded = true;
        }

        // A reader that swallows the failed read answers nothing (or a 400 of its own): say what happened.
        if (body.Exceeded && !context.Response.HasStarted)
        {
            context.Response.Clear();
            await RefuseAsync(context, limit, $"is over the limit for {context.Request.Method} {context.Request.Path}: {limit} bytes{SettingOf(context)}");
        }
    }

    private static string SettingOf(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<BodyLimit>()?.Setting is { } setting ? $": {setting}" : "";

    private static Task RefuseAsync(HttpContext context, long limit, string message)
    {
        // Whatever of the body is left is not worth reading: close the connection after the answer.
        context.Response.Headers.Connection = "close";
        return Problems.Field("body", message, StatusCodes.Status413PayloadTooLarge).ExecuteAsync(context);
    }
}
