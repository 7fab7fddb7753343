namespace Corral.Configuration;

/// <summary>A setting that cannot be used; the message names the variable and its value.</summary>
public sealed class InvalidSettingException(string variable, string value, string why)
    : Exception($"Invalid setting {variable}='{value}': {why}.")
{
    public string Variable { get; } = variable;
}
