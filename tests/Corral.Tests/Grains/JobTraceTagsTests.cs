using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using Corral.Hosting;
using Corral.Hosting.Tracing;
using Corral.Jobs;
using Corral.Quotas;
using Corral.Silo;
using Corral.Workers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.TestingHost;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>
/// The spans of one job's grain calls, on an in-process cluster traced the way a process with OTLP configured is
/// (activity propagation and the job tags on the silo and on the client), recorded by an in-process listener.
/// </summary>
public sealed class JobTraceTagsTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly ActivityListener _listener;
    private readonly TestCluster _cluster;

    public JobTraceTagsTests()
    {
        _listener = new ActivityListener
        {
            // The grain calls' spans (the runtime's own, of activations, the directory and storage, are not tagged).
            ShouldListenTo = source => source.Name == "Microsoft.Orleans.Application",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _spans.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
        _cluster = new TestClusterBuilder(1)
            .AddSiloBuilderConfigurator<TracedSilo>()
            .AddClientBuilderConfigurator<TracedClient>()
            .Build();
    }

    public Task InitializeAsync() => _cluster.DeployAsync();

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _listener.Dispose();
    }

    [Fact]
    public async Task ASubmittedJob_ItsSpansFromSubmitToTheHostsStart_AllCarryItsId()
    {
        var grains = _cluster.GrainFactory;
        var worker = "traced-" + Guid.NewGuid().ToString("N")[..8];
        await grains.GetGrain<IWorkerGrain>(worker).RegisterAsync(new WorkerRegistration(
            _cluster.Primary!.SiloAddress.ToParsableString(), new WorkerCapacity(4, 16L << 30, []), SshCaps.Uncapped, ["corral/busybox:latest"], "127.0.0.1"));
        var id = Guid.NewGuid().ToString("N");
        var spec = new JobSpec(
            "example", "corral/busybox:latest", ["true"], JobKind.Batch, ImmutableDictionary<string, string>.Empty,
            new ResourceRequest(1, 1L << 30, null, null), null);

        ActivityTraceId trace;
        // The caller's own span, as the gateway's request span is: the grain calls' spans are its children.
        using (var submit = new Activity("submit").Start())
        {
            trace = submit.TraceId;
            await grains.GetGrain<IJobGrain>(id).SubmitAsync("alice", spec);
        }

        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!RecordingHostGrain.Launches.ContainsKey(id) || !_spans.Any(s => IsCall(s, "IHostGrain", "StartAsync") && JobIdOf(s) == id))
        {
            Assert.True(DateTime.UtcNow < deadline, "no tagged span of the host grain's start:\n" + Describe(_spans));
            await Task.Delay(50);
        }

        var submitCalls = _spans.Where(s => s.TraceId == trace).ToList();
        Assert.Contains(submitCalls, s => IsCall(s, "IJobGrain", "SubmitAsync") && s.Kind == ActivityKind.Client);
        Assert.Contains(submitCalls, s => IsCall(s, "IJobGrain", "SubmitAsync") && s.Kind == ActivityKind.Server);
        Assert.All(submitCalls, s => Assert.True(JobIdOf(s) == id, "untagged: " + Describe([s])));

        // The host grain's start, and the job grain's assignment before it, on both sides of each call.
        var tagged = _spans.Where(s => JobIdOf(s) == id).ToList();
        foreach (var (service, method) in new[] { ("IJobGrain", "AssignAsync"), ("IHostGrain", "StartAsync") })
        {
            Assert.True(tagged.Any(s => IsCall(s, service, method) && s.Kind == ActivityKind.Server), $"no tagged {service}.{method} server span:\n{Describe(_spans)}");
            Assert.True(tagged.Any(s => IsCall(s, service, method) && s.Kind == ActivityKind.Client), $"no tagged {service}.{method} client span:\n{Describe(_spans)}");
        }
    }

    private static string? JobIdOf(Activity span) => span.GetTagItem(JobTraceTagging.Tag) as string;

    private static bool IsCall(Activity span, string service, string method) =>
        (span.GetTagItem("rpc.service") as string ?? span.DisplayName).Contains(service, StringComparison.Ordinal)
        && (span.GetTagItem("rpc.method") as string ?? span.DisplayName).Contains(method, StringComparison.Ordinal);

    private static string Describe(IEnumerable<Activity> spans) => string.Join('\n', spans.Select(s =>
        $"{s.Kind} {s.DisplayName} service={s.GetTagItem("rpc.service")} method={s.GetTagItem("rpc.method")} job={JobIdOf(s)} trace={s.TraceId}"));

    private sealed class TracedSilo : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            silo.AddMemoryGrainStorage(GrainStorage.Name);
            silo.AddMemoryGrainStorage(GrainStorage.Dispatcher);
            silo.Services.AddSingleton<IJobIndex, MemoryJobIndex>();
            silo.Services.AddSingleton<IWaitingJobStore, MemoryWaitingJobStore>();
            silo.UseInMemoryReminderService();
            silo.AddHostSiloPlacement();
            silo.AddCorralServices(new QuotaOptions(new Dictionary<string, int>()));
            silo.Services.PostConfigure<GrainTypeOptions>(o => o.Classes.Remove(typeof(Corral.HostAgent.HostGrain)));

            // What CorralCluster.UseCorralCluster adds where traces are exported.
            silo.AddActivityPropagation();
            silo.AddJobTraceTags();
        }
    }

    private sealed class TracedClient : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder client)
        {
            client.AddActivityPropagation();
            client.AddJobTraceTags();
        }
    }
}
