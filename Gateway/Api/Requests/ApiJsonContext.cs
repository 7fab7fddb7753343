using System.Text.Json.Serialization;

namespace Corral.Gateway.Api.Requests;

/// <summary>Source-generated metadata for the API's own records; other types fall back to reflection.</summary>
[JsonSerializable(typeof(JobSpecRequest))]
[JsonSerializable(typeof(NewUserRequest))]
[JsonSerializable(typeof(PriorityChangeRequest))]
[JsonSerializable(typeof(JobAccepted))]
[JsonSerializable(typeof(CreatedUser))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
