import { describe, expect, it } from 'vitest';
import { haversineKm, toUnitVector, unitDistanceKm } from '../../../server/geo/sphere.js';

const cities = {
  victoria: { latitude: 48.4284, longitude: -123.3656 },
  geneva: { latitude: 46.2044, longitude: 6.1432 },
  london: { latitude: 51.5074, longitude: -0.1278 },
  paris: { latitude: 48.8566, longitude: 2.3522 },
  newYork: { latitude: 40.7128, longitude: -74.006 },
  tokyo: { latitude: 35.6762, longitude: 139.6503 },
  sydney: { latitude: -33.8688, longitude: 151.2093 },
  seattle: { latitude: 47.6218, longitude: -122.350326 },
  olympia: { latitude: 47.041917, longitude: -122.893766 },
};

describe('haversineKm', () => {
  it.each([
    ['London', 'Paris', cities.london, cities.paris, 343.6],
    ['New York', 'London', cities.newYork, cities.london, 5570.2],
    ['Tokyo', 'Sydney', cities.tokyo, cities.sydney, 7822.9],
    ['Victoria', 'Geneva', cities.victoria, cities.geneva, 8411.9],
    // The original Shoal's own test case (it used R = 6378 km and got 76.39).
    ['Seattle', 'Olympia', cities.seattle, cities.olympia, 76.31],
  ])('%s to %s is about %s km', (_a, _b, a, b, km) => {
    expect(haversineKm(a, b)).toBeCloseTo(km, -1);
  });

  it('is zero for the same point and symmetric', () => {
    expect(haversineKm(cities.geneva, cities.geneva)).toBe(0);
    expect(haversineKm(cities.tokyo, cities.victoria)).toBeCloseTo(haversineKm(cities.victoria, cities.tokyo), 9);
  });

  it('gives half the circumference for antipodes', () => {
    expect(haversineKm({ latitude: 0, longitude: 0 }, { latitude: 0, longitude: 180 })).toBeCloseTo(Math.PI * 6371.0088, 3);
  });
});

describe('unitDistanceKm', () => {
  it.each(Object.entries(cities))('matches haversine from Geneva to %s', (_name, city) => {
    expect(unitDistanceKm(toUnitVector(cities.geneva), toUnitVector(city))).toBeCloseTo(haversineKm(cities.geneva, city), 6);
  });
});
