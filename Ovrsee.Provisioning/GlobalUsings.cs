global using Ovrsee.Data;
global using Ovrsee.Provisioning.Extensions;
