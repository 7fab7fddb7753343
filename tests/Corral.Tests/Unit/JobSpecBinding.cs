using System.Text;
using System.Text.Json;
using Corral.Gateway.Api;
using Corral.Gateway.Api.Requests;
using Corral.Gateway.Jobs;
using Corral.Jobs;

namespace Corral.Tests.Unit;

/// <summary>Reads a job spec the way the gateway does: bind with the API's JSON settings, then validate.</summary>
internal static class JobSpecBinding
{
    private static readonly JsonSerializerOptions Options = CreateOptions();

    public static (JobSpec? Spec, Dictionary<string, string[]> Errors) Parse(string json)
    {
        JobSpecRequest? request;
        try
        {
            // A stream, as the gateway reads it: the binder's errors differ slightly between a string and a stream.
            request = JsonSerializer.DeserializeAsync<JobSpecRequest>(new MemoryStream(Encoding.UTF8.GetBytes(json)), Options)
                .AsTask().GetAwaiter().GetResult();
        }
        catch (JsonException error)
        {
            var (field, message) = JsonBodyErrors.Describe(error, typeof(JobSpecRequest), Options);
            return (null, new Dictionary<string, string[]> { [field] = [message] });
        }

        return JobSpecValidator.Validate(request);
    }

    public static (JobSpec? Spec, Dictionary<string, string[]> Errors) Parse(object body) => Parse(JsonSerializer.Serialize(body));

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        ApiJson.Configure(options);
        return options;
    }
}
