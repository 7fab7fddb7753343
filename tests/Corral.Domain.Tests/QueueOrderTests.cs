using Corral.Jobs;
using Corral.Scheduling;
using Xunit;

namespace Corral.Domain.Tests;

public sealed class QueueOrderTests
{
    [Theory]
    // Jobs as id:priority in the order they arrive; the queue they make.
    [InlineData("1:n 2:n 3:n", "1 2 3")]
    [InlineData("1:n 2:l 3:h 4:n 5:h", "3 5 1 4 2")]
    [InlineData("1:l 2:l 3:n", "3 1 2")]
    [InlineData("1:h 2:n 3:h", "1 3 2")]
    public void Insert_PutsHigherPriorityFirst_AndKeepsArrivalOrderAmongEquals(string arrivals, string expected)
    {
        var queue = new List<string>();
        var priorities = new Dictionary<string, JobPriority>();
        foreach (var arrival in arrivals.Split(' '))
        {
            var (id, priority) = (arrival[..arrival.IndexOf(':')], arrival[^1] switch
            {
                'h' => JobPriority.High,
                'l' => JobPriority.Low,
                _ => JobPriority.Normal,
            });
            QueueOrder.Insert(queue, priorities, id, priority);
            if (priority != JobPriority.Normal)
            {
                priorities[id] = priority;
            }
        }

        Assert.Equal(expected, string.Join(' ', queue));
    }
}
