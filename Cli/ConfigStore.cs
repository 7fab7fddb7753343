using System.Text.Json;

namespace Corral.Cli;

/// <summary>
/// The config file, $XDG_CONFIG_HOME/corral/config.json (else ~/.config/corral/config.json). It holds a token,
/// so the folder is 0700 and the file 0600, set when it is created, never widened afterwards.
/// </summary>
public sealed class ConfigStore(string path)
{
    public const string UrlVariable = "CORRAL_URL";
    public const string TokenVariable = "CORRAL_TOKEN";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string Path { get; } = path;

    public static ConfigStore Default()
    {
        var home = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        if (string.IsNullOrEmpty(home))
        {
            home = System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        }

        return new ConfigStore(System.IO.Path.Combine(home, "corral", "config.json"));
    }

    public CliConfig? Load()
    {
        if (!File.Exists(Path))
        {
            return null;
        }

        return JsonSerializer.Deserialize<CliConfig>(File.ReadAllText(Path), Json);
    }

    /// <summary>The stored config with CORRAL_URL and CORRAL_TOKEN, each where set, in place of its part.</summary>
    public CliConfig? Resolve()
    {
        var stored = Load();
        var url = Environment.GetEnvironmentVariable(UrlVariable) is { Length: > 0 } envUrl ? envUrl : stored?.Url;
        var token = Environment.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } envToken ? envToken : stored?.Token;
        return url is null || token is null ? null : new CliConfig(url, token);
    }

    public void Save(CliConfig config)
    {
        var folder = System.IO.Path.GetDirectoryName(Path)!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        // Written beside the file and renamed over it, so a reader never sees half a file.
        var temporary = Path + ".tmp";
        File.Delete(temporary);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(stream, config, Json);
        }

        File.Move(temporary, Path, overwrite: true);
    }
}
