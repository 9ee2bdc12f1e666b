using Ovrsee.WebhookApi.AlohaStream;

namespace Ovrsee.Tests.Streaming;

public class CallerStreamTests
{
    private static CallerAudioFrame Frame(long chunk) => new(chunk, (chunk - 1) * 20, new byte[160]);

    [Fact]
    public async Task An_agent_slower_than_real_time_loses_the_oldest_audio_counted_and_the_writer_never_waits()
    {
        var caller = new CallerStream(audioCapacity: 50);

        // Nobody reads: 10 s of audio arrives. Every write returns at once (this is synchronous code).
        for (var chunk = 1; chunk <= 500; chunk++)
        {
            caller.WriteAudio(Frame(chunk));
        }
        caller.Complete();

        var heard = new List<long>();
        await foreach (var frame in caller.ReadAudioAsync())
        {
            heard.Add(frame.Chunk);
        }
        Assert.Equal(Enumerable.Range(451, 50).Select(c => (long)c), heard); // the most recent second
        Assert.Equal(500, caller.FramesReceived);
        Assert.Equal(450, caller.FramesDropped);
        Assert.Equal(50, caller.FramesDelivered);
    }

    [Fact]
    public async Task An_agent_that_keeps_up_hears_every_frame_in_order()
    {
        var caller = new CallerStream(audioCapacity: 4);
        var reader = Task.Run(async () =>
        {
            var heard = new List<long>();
            await foreach (var frame in caller.ReadAudioAsync())
            {
                heard.Add(frame.Chunk);
            }
            return heard;
        });

        for (var chunk = 1; chunk <= 200; chunk++)
        {
            caller.WriteAudio(Frame(chunk));
            if (chunk % 2 == 0)
            {
                await Task.Delay(1); // real time is far slower than this reader
            }
        }
        caller.Complete();

        var heard = await reader;
        Assert.Equal(200 - caller.FramesDropped, heard.Count);
        Assert.Equal(heard.Order(), heard);
        Assert.Equal(caller.FramesDelivered, heard.Count);
    }

    [Fact]
    public async Task Key_presses_are_not_pushed_out_by_audio_and_a_reader_nobody_serves_cannot_grow_them()
    {
        var caller = new CallerStream(audioCapacity: 2);
        caller.WriteSignal(new CallerSignal.Dtmf("1"));
        for (var chunk = 1; chunk <= 100; chunk++)
        {
            caller.WriteAudio(Frame(chunk));
        }
        for (var i = 0; i < CallerStream.SignalCapacity + 10; i++)
        {
            caller.WriteSignal(new CallerSignal.Dtmf("2"));
        }
        caller.Complete();

        var signals = new List<CallerSignal>();
        await foreach (var signal in caller.ReadSignalsAsync())
        {
            signals.Add(signal);
        }
        Assert.Equal(new CallerSignal.Dtmf("1"), signals[0]);
        Assert.Equal(CallerStream.SignalCapacity, signals.Count);
        Assert.Equal(11, caller.SignalsDropped);
        Assert.True(caller.Ended.IsCompletedSuccessfully);
    }
}
