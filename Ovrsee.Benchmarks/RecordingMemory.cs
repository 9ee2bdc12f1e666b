using System.Diagnostics;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;
using Ovrsee.Hosting.Azurite;
using Ovrsee.WebhookApi.Recordings;

namespace Ovrsee.Benchmarks;

/// <summary>
/// Memory of one recording's upload and playback through <see cref="BlobRecordingStorage"/>
/// against a real Azurite: bytes allocated and the managed heap's peak while a 10 MB recording
/// streams in from a network-like (unseekable) source and back out to a sink, next to what
/// buffering the whole file (what the fetch job did before) costs.
/// </summary>
public static class RecordingMemory
{
    public static async Task<int> RunAsync(int megabytes)
    {
        var length = megabytes * 1024L * 1024L;
        var root = Path.Combine(Path.GetTempPath(), $"ovrsee-bench-azurite-{Environment.ProcessId}");
        await using var azurite = await LocalAzurite.StartAsync(root);
        try
        {
            var container = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient("recordings");
            var storage = new BlobRecordingStorage(container, Options.Create(new RecordingsOptions()));
            var workspace = Guid.NewGuid();
            // Warm-up: the SDK's pipeline, the container, JIT.
            await storage.SaveAsync(workspace, NewSid(), "audio/x-wav", new Source(64 * 1024), default);

            var key = "";
            var upload = await MeasureAsync(async () => key = await storage.SaveAsync(workspace, NewSid(), "audio/x-wav", new Source(length), default));
            var playback = await MeasureAsync(async () =>
            {
                var stored = await storage.OpenReadAsync(key, default);
                await using var content = stored!.Content;
                await content.CopyToAsync(Stream.Null);
            });
            var buffered = await MeasureAsync(async () =>
            {
                using var whole = new MemoryStream();
                await new Source(length).CopyToAsync(whole);
                var bytes = whole.ToArray();
                GC.KeepAlive(bytes);
            });

            Console.WriteLine($"recording: {megabytes} MB ({length:N0} bytes), block size {new BlobRecordingsOptions().BlockSizeBytes:N0}, read buffer {new BlobRecordingsOptions().ReadBufferBytes:N0}");
            Console.WriteLine($"{"",-28}{"allocated",14}{"peak heap growth",20}");
            Print("upload (stream -> blob)", upload);
            Print("playback (blob -> stream)", playback);
            Print("whole file buffered (old)", buffered);
            return 0;
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static void Print(string name, (long Allocated, long PeakGrowth) m) =>
        Console.WriteLine($"{name,-28}{m.Allocated / 1048576.0,11:F2} MB{m.PeakGrowth / 1048576.0,17:F2} MB");

    private static string NewSid() => "RE" + Guid.NewGuid().ToString("N");

    /// <summary>Allocated bytes (all threads) and the largest growth of the managed heap over the start, sampled every millisecond.</summary>
    private static async Task<(long Allocated, long PeakGrowth)> MeasureAsync(Func<Task> action)
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var baseline = GC.GetTotalMemory(false);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        long peak = baseline;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(false));
                await Task.Delay(1);
            }
        });
        var stopwatch = Stopwatch.StartNew();
        await action();
        peak = Math.Max(peak, GC.GetTotalMemory(false));
        await stop.CancelAsync();
        await sampler;
        return (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore, peak - baseline);
    }

    /// <summary>A network body as the fetch job sees it: unseekable, length unknown.</summary>
    private sealed class Source(long length) : Stream
    {
        private long _position;

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(Math.Min(count, 16 * 1024), length - _position);
            buffer.AsSpan(offset, n).Fill((byte)(_position % 251));
            _position += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
