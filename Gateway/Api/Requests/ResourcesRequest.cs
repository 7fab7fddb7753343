using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Corral.Gateway.Api.Requests;

/// <summary>"resources" of a job spec; a member left out gets the default in <see cref="Corral.Jobs.ResourceDefaults"/>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
[JsonNumberHandling(JsonNumberHandling.Strict)]
public sealed record ResourcesRequest(
    [property: Description(JobSpecRules.Cpu)] double? Cpu = null,
    [property: Description(JobSpecRules.Memory), JsonConverter(typeof(ByteSizeJsonConverter))] long? Memory = null,
    [property: Description(JobSpecRules.Pids)] int? Pids = null,
    [property: Description(JobSpecRules.Gpu)] GpuResourcesRequest? Gpu = null);
