namespace Ovrsee.Tests;

public class SmokeTests
{
    [Fact]
    public void Arithmetic_still_works() => Assert.Equal(2, 1 + 1);
}
