using System.Text.Json;
using System.Text.Json.Serialization;
using Corral.Jobs;

namespace Corral.Gateway.Api.Requests;

/// <summary>"low", "normal" or "high" only: the enum's numbers are not part of the contract.</summary>
public sealed class JobPriorityJsonConverter() : JsonStringEnumConverter<JobPriority>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false);
