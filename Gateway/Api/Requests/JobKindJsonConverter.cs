using System.Text.Json;
using System.Text.Json.Serialization;
using Corral.Jobs;

namespace Corral.Gateway.Api.Requests;

/// <summary>"batch" or "ssh" only: the enum's numbers are not part of the contract.</summary>
public sealed class JobKindJsonConverter() : JsonStringEnumConverter<JobKind>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false);
