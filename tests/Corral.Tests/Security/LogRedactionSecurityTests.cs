using Corral.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Corral.Tests.Security;

/// <summary>What the console formatter of every Corral process takes out of a line before it is written.</summary>
public sealed class LogRedactionSecurityTests
{
    private const string Token = "corral_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcd";

    [Theory]
    [InlineData("Request starting HTTP/1.1 GET http://127.0.0.1:5000/hubs/jobs?id=abc&access_token=" + Token + " - - -")]
    [InlineData("Request starting HTTP/1.1 GET http://h/hubs/jobs?access_token=" + Token)]
    [InlineData("Request finished HTTP/1.1 POST http://h/hubs/jobs/negotiate?ACCESS_TOKEN=" + Token + "&negotiateVersion=1 - 200")]
    [InlineData("bad request line: 'GET /hubs/jobs?access_token%3D" + Token + " HTTP/1.1'")]
    [InlineData("Authorization: Bearer " + Token)]
    [InlineData("a token pasted somewhere: " + Token + ".")]
    public void ASecret_IsTakenOutOfTheLine(string line)
    {
        var redacted = LogRedaction.Redact(line);

        Assert.DoesNotContain(Token, redacted);
        Assert.DoesNotContain(Token["corral_".Length..], redacted);
        Assert.Contains(LogRedaction.Redacted, redacted);
    }

    [Theory]
    [InlineData("Request starting HTTP/1.1 GET http://h/api/jobs?limit=2&cursor=abc - - -")]
    [InlineData("relation \"corral_job_logs\" does not exist; database corral_e2e_0123456789")]
    public void ALineWithoutASecret_IsLeftAlone(string line) => Assert.Equal(line, LogRedaction.Redact(line));

    [Fact]
    public void TheFormatter_WritesOneRedactedLine_WithTheExceptionOnIt()
    {
        var formatter = new RedactingConsoleFormatter();
        using var writer = new StringWriter();
        var entry = new Microsoft.Extensions.Logging.Abstractions.LogEntry<string>(
            LogLevel.Information, "Microsoft.AspNetCore.Hosting.Diagnostics", new EventId(1), "GET /hubs/jobs?access_token=" + Token,
            new InvalidOperationException("two\nlines"), (s, _) => s);

        formatter.Write(entry, null, writer);

        var line = writer.ToString();
        Assert.DoesNotContain(Token, line);
        Assert.Matches(@"^\d\d:\d\d:\d\d\.\d{3} info: Microsoft\.AspNetCore\.Hosting\.Diagnostics\[1\] GET /hubs/jobs\?access_token=\[redacted\] System\.InvalidOperationException: two lines\r?\n$", line);
    }
}
