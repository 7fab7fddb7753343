using System.ComponentModel;
using Corral.Gateway.Api.Requests;
using Microsoft.OpenApi;

namespace Corral.Gateway.Api;

/// <summary>What the REST API needs registered: JSON settings, readable binding errors, the OpenAPI document.</summary>
public static class ApiServices
{
    public static IServiceCollection AddCorralApi(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
        // Binding failures throw, so BadRequestHandler can name the member instead of answering an empty 400.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddExceptionHandler<BadRequestHandler>();
        // The binder answers a body that is not JSON with a bare 415 (it does not throw): name the body there too.
        services.Configure<ProblemDetailsOptions>(o => o.CustomizeProblemDetails += context =>
        {
            if (context.ProblemDetails.Status == StatusCodes.Status415UnsupportedMediaType && !context.ProblemDetails.Extensions.ContainsKey("errors"))
            {
                const string message = "must be JSON, sent with Content-Type: application/json";
                context.ProblemDetails.Detail = $"body: {message}";
                context.ProblemDetails.Extensions["errors"] = new Dictionary<string, string[]> { ["body"] = [message] };
            }
        });
        services.AddOpenApi(o => o.AddSchemaTransformer((schema, context, _) =>
        {
            // A custom converter hides the JSON shape from the schema generator: sizes are text or a number of bytes.
            if (context.JsonPropertyInfo?.CustomConverter is ByteSizeJsonConverter)
            {
                schema.Type = JsonSchemaType.String | JsonSchemaType.Integer | JsonSchemaType.Null;
                schema.Format = null;
                schema.Description ??= context.JsonPropertyInfo.AttributeProvider?
                    .GetCustomAttributes(typeof(DescriptionAttribute), inherit: true).OfType<DescriptionAttribute>().FirstOrDefault()?.Description;
                schema.Examples = [System.Text.Json.Nodes.JsonValue.Create("512Mi")];
            }

            return Task.CompletedTask;
        }));
        return services;
    }
}
