using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Corral.Jobs;

namespace Corral.Gateway.Api.Requests;

/// <summary>
/// The body of POST /api/jobs as sent (DESIGN.md, "Job spec"). Binding only checks JSON types; the rules that
/// need more than a type are checked by <see cref="Gateway.Jobs.JobSpecValidator"/>. Each description is also
/// the message a value of the wrong JSON type gets, so it reads as a rule.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
[JsonNumberHandling(JsonNumberHandling.Strict)]
public sealed record JobSpecRequest(
    [property: Required, Description(JobSpecRules.Service)] string? Service = null,
    [property: Description(JobSpecRules.Image)] string? Image = null,
    [property: Description(JobSpecRules.Command)] IReadOnlyList<string?>? Command = null,
    [property: Description(JobSpecRules.Kind), JsonConverter(typeof(JobKindJsonConverter))] JobKind? Kind = null,
    [property: Description(JobSpecRules.Env)] IReadOnlyDictionary<string, string?>? Env = null,
    [property: Description(JobSpecRules.Resources)] ResourcesRequest? Resources = null,
    [property: Description(JobSpecRules.SshPublicKey)] string? SshPublicKey = null,
    [property: Description(JobSpecRules.MaxDurationSeconds)] int? MaxDurationSeconds = null,
    [property: Description(JobSpecRules.Priority), JsonConverter(typeof(JobPriorityJsonConverter))] JobPriority? Priority = null,
    [property: Description(JobSpecRules.Retry)] RetryRequest? Retry = null);
