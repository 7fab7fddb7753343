using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Corral.Gateway.Api.Requests;

namespace Corral.Gateway.Api;

/// <summary>The API's JSON settings: snake_case enum names, strict numbers, and the generated metadata of its own records first.</summary>
public static class ApiJson
{
    public static void Configure(JsonSerializerOptions options)
    {
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        // A number is a JSON number: "2" for cpu is refused, and the OpenAPI document says so.
        options.NumberHandling = JsonNumberHandling.Strict;
        // A member sent twice is refused: which copy would win is the parser's choice, and a check made on one copy
        // (a validator, a proxy in front) must not be undone by the other.
        options.AllowDuplicateProperties = false;
        options.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default);
        if (options.TypeInfoResolverChain.Count == 1)
        {
            // Bare options (tests) resolve only our records otherwise; the host's already carry reflection.
            options.TypeInfoResolverChain.Add(new DefaultJsonTypeInfoResolver());
        }
    }
}
