Console.WriteLine("Ovrsee AppHost");
