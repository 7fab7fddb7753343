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
        services.AddOpenApi(o => o.AddSchemaTransformer((schema, context, _) =>
        {
            // A custom converter hides the JSON shape from the schema generator: sizes are text or a number of bytes.
            if (context.JsonPropertyInfo?.CustomConverter is ByteSizeJsonConverter)
            {
                schema.Type = JsonSchemaType.String | JsonSchemaType.Integer | JsonSchemaType.Null;
                schema.Examples = [System.Text.Json.Nodes.JsonValue.Create("512Mi")];
            }

            return Task.CompletedTask;
        }));
        return services;
    }
}
