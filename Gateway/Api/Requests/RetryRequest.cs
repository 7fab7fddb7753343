using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Corral.Gateway.Api.Requests;

/// <summary>"retry" of a job spec: whether a job whose worker is lost runs again, and how many attempts in all.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
[JsonNumberHandling(JsonNumberHandling.Strict)]
public sealed record RetryRequest(
    [property: Description(JobSpecRules.RetryOnWorkerLost)] bool? OnWorkerLost = null,
    [property: Description(JobSpecRules.RetryMaxAttempts)] int? MaxAttempts = null);
