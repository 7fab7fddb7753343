using Corral.Cli;

return await CliApp.RunAsync(args);
