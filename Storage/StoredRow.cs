namespace Corral.Storage;

/// <summary>What a statement of the grain store returned: the row's version and, for reads, its payload.</summary>
public sealed record StoredRow(long ETag, byte[]? Payload);
