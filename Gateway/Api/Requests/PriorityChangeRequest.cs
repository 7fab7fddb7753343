using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Corral.Jobs;

namespace Corral.Gateway.Api.Requests;

/// <summary>The body of PUT /api/jobs/{id}/priority: the waiting job's new priority.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record PriorityChangeRequest(
    [property: Required, Description(JobSpecRules.Priority), JsonConverter(typeof(JobPriorityJsonConverter))] JobPriority? Priority = null);
