namespace Ovrsee.WebhookApi.AlohaStream;

internal static class TaskDeadline
{
    /// <summary>
    /// Whether the task finished (well or badly) within the timeout. A failed writer or receive
    /// loop has already turned its failure into the stream's outcome; here only "done" matters.
    /// </summary>
    public static async Task<bool> CompletesWithinAsync(Task task, TimeSpan timeout)
    {
        try
        {
            await task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (Exception)
        {
        }
        return true;
    }
}
