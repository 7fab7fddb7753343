using System.Text.Json;

namespace Corral.Gateway.Api.Requests;

/// <summary>Thrown by our converters: its message is already the one a user should read for that member.</summary>
public sealed class FieldJsonException(string message) : JsonException(message);
