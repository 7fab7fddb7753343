namespace Corral.Jobs;

/// <summary>Why a job ended, when it did not succeed. Serialized snake_case (public contract).</summary>
public enum TerminationReason
{
    ExitCode,
    LogQuotaExceeded,
    DataTransferQuotaExceeded,
    OutOfMemory,
    CancelledByUser,
    WorkerLost,
    ContainerError,

    /// <summary>Ran past its maximum duration (maxDurationSeconds or the service's default) and was ended.</summary>
    MaxDurationExceeded,

    /// <summary>The job's working directory passed its size cap (JOB_WORK_MAX_BYTES).</summary>
    DiskQuotaExceeded,

    /// <summary>
    /// Wrote more raw output bytes in an hour than JOB_OUTPUT_MAX_BYTES_PER_HOUR (escape sequences included, which the
    /// log quota does not count); the output file on the host stops at that bound.
    /// </summary>
    OutputQuotaExceeded,

    /// <summary>
    /// No live worker could ever hold the job (resources or image) for NO_CAPACITY_GRACE_SECONDS while it waited for
    /// placement; it gave its quota slot back.
    /// </summary>
    NoCapacity,

    /// <summary>
    /// The file system of the host's job output (JOB_OUTPUT_DIR) had less free space than JOB_OUTPUT_MIN_FREE_BYTES:
    /// the job was not started, or was ended rather than left to run with its output dropped.
    /// </summary>
    OutputDiskFull,
}
