using System.Text.Json;
using System.Text.Json.Serialization;
using Corral.Configuration;
using Corral.Files;
using Corral.Gateway.Api;
using Corral.Gateway.Auth;
using Corral.Gateway.Files;
using Corral.Gateway.Jobs;
using Corral.Gateway.Live;
using Corral.Gateway.Operations;
using Corral.Gateway.Orchestrator;
using Corral.Gateway.Users;
using Corral.Hosting;
using Corral.Hosting.Operations;
using Corral.Images;
using Microsoft.AspNetCore.Authentication;
using Npgsql;

// The gateway: REST API, web page and live updates, as an Orleans client of the cluster.
FanOutRuntimeSettings.Apply();
try
{
    var settings = SettingsReader.FromProcess();
    var cluster = ClusterSettings.Read(settings);
    var adminToken = AdminTokenSetting.Read(settings);
    var jobImages = JobImageAllowList.Read(settings);
    var rateLimits = ApiRateLimitSettings.Read(settings);
    var jobFiles = JobFileSettings.Read(settings);
    var services = DeclaredServices.Read(settings);

    var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
    builder.AddCorralDefaults("corral-gateway");
    var url = settings.GetString("CORRAL_URL", "http://127.0.0.1:5000");
    ListenAddress.EnsureFree("CORRAL_URL", url);
    builder.WebHost.UseUrls(url);
    builder.UseOrleansClient(client => client.UseCorralCluster(cluster));

    builder.Services.AddSingleton(NpgsqlDataSource.Create(cluster.PostgresConnectionString));
    builder.Services.AddCorralHealthChecks().AddCheck<ClusterClientHealthCheck>("cluster", tags: [OperationsEndpoints.ReadyTag]);
    builder.Services.AddCorralUsers(settings);
    builder.Services.AddSingleton<JobSubmitter>();
    builder.Services.AddSingleton<JobLogReader>();
    builder.Services.AddSingleton<JobListReader>();
    builder.Services.AddSingleton<ClusterOverviewReader>();
    builder.Services.AddSingleton(adminToken);
    builder.Services.AddSingleton(jobImages);
    builder.Services.AddSingleton(jobFiles);
    builder.Services.AddSingleton(services);
    builder.Services.AddSingleton(TimeProvider.System);
    builder.Services.AddSingleton<IJobFileStore, PostgresJobFileStore>();
    builder.Services.AddSingleton<PostgresJobFileTotals>();
    builder.Services.AddSingleton<PostgresJobFileRetention>();
    builder.Services.AddSingleton<JobUploadReader>();
    builder.Services.AddSingleton<JobResults>();
    builder.Services.AddHostedService<JobFilesRetentionSweep>();
    builder.Services.AddHostedService<AdminBootstrap>();
    builder.Services.AddProblemDetails();
    builder.Services.AddExceptionHandler<ServiceUnavailableHandler>();
    builder.Services.AddCorralApi();
    builder.Services.AddCorralRateLimiting(rateLimits);
    builder.Services.AddAuthentication(TokenAuthenticationHandler.SchemeName)
        .AddScheme<AuthenticationSchemeOptions, TokenAuthenticationHandler>(TokenAuthenticationHandler.SchemeName, null);
    builder.Services.AddAuthorizationBuilder()
        .AddPolicy(AdminPolicy.Name, p => p.RequireRole(TokenAuthenticationHandler.AdminRole));
    // JSON for the web page; MessagePack for clients that ask for it (smaller frames, cheaper to read). A group
    // send serializes once per protocol in use, not once per connection.
    builder.Services.AddSignalR()
        .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower)))
        .AddMessagePackProtocol();
    builder.Services.AddSingleton<LiveSnapshot>();
    builder.Services.AddSingleton<FeedRelay>();
    builder.Services.AddHostedService(sp => sp.GetRequiredService<FeedRelay>());

    var app = builder.Build();
    app.UseExceptionHandler();
    app.UseStatusCodePages();
    app.UseDefaultFiles();
    app.UseStaticFiles();
    app.UseAuthentication();
    // After authentication, so the limit is per user; before authorization, so refused tokens are limited too.
    app.UseRateLimiter();
    app.UseAuthorization();
    app.UseMiddleware<BodyLimitMiddleware>();
    app.MapOpenApi();
    app.MapGet("/healthz", () => TypedResults.Text("ok"));
    // Health answers anyone (load balancers); the gateway's port is public, so its metrics are for admins' tokens.
    app.MapCorralOperations().RequireAuthorization(AdminPolicy.Name);
    // Every API route gets its body limit from one table (BodyLimits), enforced before a body is read.
    var api = app.MapGroup("");
    // Finally: after each endpoint's own metadata (Accepts multipart/form-data marks an upload) is in place.
    ((IEndpointConventionBuilder)api).Finally(BodyLimits.Convention(jobFiles, JobUploadReader.Envelope(jobFiles, BodyLimits.JobSpec)));
    api.MapAccountsApi();
    api.MapServiceLimitsApi();
    api.MapJobsApi();
    api.MapJobFilesApi();
    api.MapUploadApi();
    api.MapOrchestratorApi();
    app.MapHub<JobsHub>("/hubs/jobs");
    await app.RunAsync();
    return 0;
}
catch (InvalidSettingException error)
{
    Console.Error.WriteLine($"corral-gateway: {error.Message}");
    return 2;
}
