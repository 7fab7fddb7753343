using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Corral.Gateway.Api.Requests;

/// <summary>"resources.gpu" of a job spec: how many GPUs, optionally of which model and with how much memory each.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
[JsonNumberHandling(JsonNumberHandling.Strict)]
public sealed record GpuResourcesRequest(
    [property: Description(JobSpecRules.GpuCount)] int? Count = null,
    [property: Description(JobSpecRules.GpuType)] string? Type = null,
    [property: Description(JobSpecRules.GpuMemory), JsonConverter(typeof(ByteSizeJsonConverter))] long? Memory = null);
