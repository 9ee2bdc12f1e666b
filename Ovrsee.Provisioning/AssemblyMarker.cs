namespace Ovrsee.Provisioning;

/// <summary>Names this service's assembly for WebApplicationFactory (both services have a top-level Program).</summary>
public sealed class AssemblyMarker;
